/**
 * Retries: a `RetryPolicy` is validated data (`RetryPolicy.make`); `RetryPolicy.schedule` turns it
 * into a `Schedule`, `RetryPolicy.retryRequest` runs HTTP attempts with it (Retry-After first, then
 * backoff with jitter, within a budget), and `RetriesExhausted` says why it gave up.
 *
 * @since 0.1.0
 */
export * from "./retry/RetryPolicy.js"
export type { Jitter } from "./retry/backoff.js"
export { type ExhaustedReason, InvalidRetryPolicy, RetriesExhausted } from "./retry/errors.js"
export { MAX_RETRY_AFTER_MS, parseRetryAfter, type ServerClock } from "./retry/retryAfter.js"
export {
  type DelaySource,
  IDEMPOTENCY_KEY_HEADER,
  type RetryEvent,
  type RetryHooks,
  retryRequest,
  type RetrySummary
} from "./retry/retryRequest.js"
