/**
 * The share of a wall's round trip the server rejected (pure). Far away, a wall is seen a round trip
 * after it was met, and every request sent meanwhile (the pace times the round trip: 10-30 at 50 per
 * second 100-300 ms each way) reaches the bucket it emptied. Their answers come during the next round
 * trip: a bucket of rate `L` met at a pace `P` rejects `1 - L / P` of them, whatever its burst. So
 * the pace times the share admitted bounds the server's rate from above (the first rejection may come
 * a few requests early, jitter bunching them, and only lowers the share), as soon as enough answers
 * came, in whatever order. Near by, a round trip holds a request or two and the bound never forms.
 *
 * @since 0.3.0
 */

/**
 * Answers of the requests sent between a wall (`from`, the rejected request's send time) and the
 * decision taken on it (`to`): `n` of them came, `k` rejected.
 *
 * @since 0.3.0
 * @category models
 */
export interface Tally {
  readonly from: number
  readonly to: number
  readonly n: number
  readonly k: number
}

/** Answers counted before the share bounds the rate: fewer, a request more or less moves it by a tenth. */
export const TALLY_MIN = 10
/** The share of the round trip's sends answered before the bound is read (once: a running minimum of a noisy share reads low). */
const ANSWERED = 0.8
/** Above this share everything in flight met the wall: a window's quota spent, which says nothing of a rate. */
const WINDOW_SHARE = 0.6
/** Standard errors the share is read below (a binomial sample of `n`): the bound errs high, not low. */
const SHARE_SE = 1

/**
 * A wall's tally, opened when the decision on it is taken at `to`.
 *
 * @since 0.3.0
 * @category constructors
 */
export const open = (from: number, to: number): Tally => ({ from, to, n: 0, k: 0 })

/**
 * A stored tally is data from outside (a shared store): finite, ordered counts, or none.
 *
 * @since 0.3.0
 * @category predicates
 */
export const sane = (t: Tally | null | undefined): t is Tally =>
  t != null && [t.from, t.to, t.n, t.k].every(Number.isFinite) && t.from <= t.to && t.k >= 0 && t.n >= t.k

/**
 * `t` with an answer of a request sent at `sentAt` counted, when sent within its round trip.
 *
 * @since 0.3.0
 * @category transitions
 */
export const record = (t: Tally, sentAt: number, rejected: boolean): Tally =>
  sentAt >= t.from && sentAt < t.to ? { ...t, n: t.n + 1, k: t.k + (rejected ? 1 : 0) } : t

/**
 * The highest rate the tally leaves the server at, `sent` requests having gone out in its round trip:
 * `undefined` until most of them answered, or when the share reads as a window's.
 *
 * @since 0.3.0
 * @category math
 */
export const bound = (t: Tally, logged: number): number | undefined => {
  // A log saying less than what answered (pruned, or none yet: the first answers) tells no rate.
  const sent = logged
  if (t.n < Math.max(TALLY_MIN, ANSWERED * sent) || sent < t.n || t.to <= t.from) return undefined
  const share = t.k / t.n
  if (share > WINDOW_SHARE) return undefined
  const low = Math.max(0, share - SHARE_SE * Math.sqrt((share * (1 - share)) / t.n))
  return ((sent * 1000) / (t.to - t.from)) * (1 - low)
}
