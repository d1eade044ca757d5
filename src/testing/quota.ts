/**
 * What a server-side limiter family decides for one request, and what it would tell a client about its
 * quota. Every family (`hiddenBucket`, `fixedWindow`, `slidingLog`, `gcra`) produces these, so the
 * Retry-After and rate-limit header formats are written once, whatever the algorithm behind them.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly admitted: boolean
  /** Milliseconds until a request would be admitted (0 when this one was). */
  readonly retryAfterMs: number
}

/**
 * The quota as rate-limit headers state it.
 *
 * @since 0.1.0
 * @category models
 */
export interface QuotaView {
  /** Requests the quota holds (a bucket's capacity, a window's count). */
  readonly limit: number
  /** Requests that would be admitted right now, back to back. */
  readonly remaining: number
  /** Milliseconds until the whole quota is available again. */
  readonly resetMs: number
  /** The policy's window in whole seconds (`w` of the IETF policy). */
  readonly windowS: number
}
