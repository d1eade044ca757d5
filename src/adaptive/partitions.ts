/**
 * Header quotas per IETF partition key (`pk`). One limiter key may carry requests counted against
 * several partitions (the client cannot tell which one before the answer), so a reading from one
 * partition never erases a current reading from another: the key is paced at the tightest pace still
 * in force. Pure; time passed in.
 *
 * @since 0.2.0
 */

/**
 * The header pace last read for each partition, until it goes stale.
 *
 * @since 0.2.0
 * @category models
 */
export type Partitions = Readonly<Record<string, { readonly rate: number; readonly until: number }>>

/** Bound on partitions remembered per key: a server minting a key per request cannot grow the state. */
const MAX_PARTITIONS = 16

/**
 * Record `rate` for partition `id` until `until`, drop stale entries (and the oldest beyond the
 * bound), and return the pace to apply: the lowest of every partition still in force.
 *
 * @since 0.2.0
 * @category transitions
 */
export const record = (
  // Undefined in a state written by an earlier version to a shared store.
  partitions: Partitions | undefined,
  id: string,
  rate: number,
  until: number,
  now: number
): { readonly partitions: Partitions; readonly rate: number } => {
  const live = Object.entries(partitions ?? {}).filter(([k, p]) => k !== id && p.until > now)
  live.sort((a, b) => b[1].until - a[1].until)
  const kept = live.slice(0, MAX_PARTITIONS - 1)
  const next: Record<string, { rate: number; until: number }> = { [id]: { rate, until } }
  let tightest = rate
  for (const [k, p] of kept) {
    next[k] = p
    tightest = Math.min(tightest, p.rate)
  }
  return { partitions: next, rate: tightest }
}
