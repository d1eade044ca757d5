/**
 * How fast the server restores its quota, read from `remaining` (pure). Between two readings sent
 * `dt` apart with `n` requests admitted after the first, the quota gave back `remaining₂ −
 * remaining₁ + n` units: a token bucket returns them steadily, a fixed window all at once when the
 * next window opens (a jump), and within a window not at all. `limit / window` misreads a token bucket
 * reporting its burst as the quota and a time-to-reset rounded up to whole seconds (a 50 rps bucket
 * holding 0.2 s reads "10 per second"); the steady return shows its real rate.
 *
 * @since 0.3.0
 */

/**
 * One admitted request's reading: when it was sent, what remained after it, when its answer came.
 *
 * @since 0.3.0
 * @category models
 */
export type Sample = readonly [sentAt: number, remaining: number, at: number]

/**
 * @since 0.3.0
 * @category models
 */
export interface RestoreState {
  /** Recent readings, in send order. */
  readonly samples: ReadonlyArray<Sample>
  /**
   * The quota was seen full while spent (restored at least as fast): a bucket, not a fixed window
   * (which restores nothing within a window, and so is never full after a few requests).
   */
  readonly steady: boolean
  /** The quota the samples were read under. */
  readonly limit: number | undefined
}

/** The rate is read over at least this span of send times (by default)… */
export const SPAN_MS = 400
/** …out of the readings kept: those sent within this long of the newest one… */
const KEEP_MS = 2000
/** …at most this many (a state shared through a store stays small). */
const MAX_SAMPLES = 128
/** Fewer admitted requests after the first reading tell nothing beyond jitter. */
const MIN_ADMITTED = 3
/** A span shorter than this cannot tell a rate from jitter. */
const MIN_SPAN_MS = 50

/**
 * Record a reading of a quota of `limit`, kept in send order (answers overtake each other), dropping
 * those sent more than the span before the newest. The quota is taken for a steadily restored one
 * once it stayed full (at most two below `limit`: `remaining` is rounded down, and a bucket refilling
 * between requests is a fraction short) across `MIN_ADMITTED + 1` readings sent within half a
 * `windowMs` (its longest time-to-reset): a fixed window has at most two readings that high in a
 * window, and a span that short meets at most one window's first two and the next's.
 *
 * @since 0.3.0
 * @category transitions
 */
export const record = (
  s: RestoreState | undefined,
  sample: Sample,
  limit: number | undefined,
  windowMs: number | undefined
): RestoreState => {
  // Readings of another quota say nothing about how full this one is.
  const samples = trim(s !== undefined && s.limit === limit ? s.samples : undefined, sample)
  const e = limit === undefined || limit < MIN_QUOTA || windowMs === undefined
    ? undefined
    : estimate(samples, limit, Infinity, windowMs / 2)
  const full = e !== undefined && limit !== undefined && windowMs !== undefined && e.low >= limit - 2 && e.spanMs < windowMs / 2
  return { samples, steady: (s?.steady ?? false) || full, limit }
}

/** Under this quota a full bucket and a fixed window's first requests look alike. */
const MIN_QUOTA = 4

const trim = (samples: ReadonlyArray<Sample> | undefined, sample: Sample): ReadonlyArray<Sample> => {
  const all = [...(samples ?? [])]
  let i = all.length
  while (i > 0 && all[i - 1]![0] > sample[0]) i--
  all.splice(i, 0, sample)
  const newest = all[all.length - 1]![0]
  let k = Math.max(0, all.length - MAX_SAMPLES)
  while (k < all.length - 1 - MIN_ADMITTED && all[k]![0] < newest - KEEP_MS) k++
  return all.slice(k)
}

/**
 * What the readings of a quota of `limit` say: the rate it is restored at (units per second), the
 * least `remaining` read, over how long a span (send times), since the last jump. Only readings sent
 * before `settled` count (by then every answer came: a reading whose answer is still on its way would
 * be missing from the count), over the last `spanMs` of them (or the last `MIN_ADMITTED + 1`). `undefined` when too little is known:
 * fewer than `MIN_ADMITTED` admitted after the first reading, or too short a span.
 *
 * @since 0.3.0
 * @category math
 */
export const estimate = (
  samples: ReadonlyArray<Sample> | undefined,
  limit: number,
  settled = Infinity,
  spanMs = SPAN_MS
): { readonly rate: number; readonly low: number; readonly spanMs: number } | undefined => {
  if (samples === undefined) return undefined
  let end = samples.length - 1
  while (end >= 0 && samples[end]![0] > settled) end--
  if (end < 0) return undefined
  const last = samples[end]!
  // A rise of more than half the quota between neighbours is a window opening (or a long stall):
  // no steady return. Smaller rises are jitter of out-of-order arrivals or a bucket's refill.
  let from = end
  while (
    from > 0 && (samples[from - 1]![0] >= last[0] - spanMs || end - from < MIN_ADMITTED) &&
    samples[from]![1] - samples[from - 1]![1] <= Math.max(4, limit / 2)
  ) from--
  const first = samples[from]!
  const n = end - from
  const dt = last[0] - first[0]
  if (n < MIN_ADMITTED || dt < MIN_SPAN_MS) return undefined
  let low = Infinity
  for (let i = from; i <= end; i++) low = Math.min(low, samples[i]![1])
  return { rate: Math.max(0, ((last[1] - first[1] + n) * 1000) / dt), low, spanMs: dt }
}

/**
 * When the units a quota of `limit` needs back were spent, at the latest (the answer time of their
 * readings: the server decided them before answering, a stall included), given the reading sent at
 * `sentAt` left `remaining` and `inflight` more requests are on their way. The quota in use then is
 * the last `limit - remaining` readings: `oldest` is when the first of them was spent (a fixed
 * window restores all of them a window after it), `needed` when the one whose return lets one more
 * request through after those in flight was (a sliding log restores them one by one), and that
 * reading's round trip (`neededRttMs`: its answer less its send). `undefined` when the readings kept
 * do not reach that far back.
 *
 * @since 0.3.0
 * @category math
 */
export const usedAt = (
  samples: ReadonlyArray<Sample> | undefined,
  sentAt: number,
  limit: number,
  remaining: number,
  inflight: number
): { readonly oldest: number; readonly needed: number; readonly neededRttMs: number } | undefined => {
  if (samples === undefined || !(limit >= 1)) return undefined
  let j = samples.length - 1
  while (j >= 0 && samples[j]![0] !== sentAt) j--
  const r = Math.max(0, Math.floor(remaining))
  const oldest = j - (Math.floor(limit) - r) + 1
  const needed = oldest + Math.max(0, Math.floor(inflight) - r)
  return j < 0 || oldest < 0 || needed > j ? undefined : { oldest: samples[oldest]![2], needed: samples[needed]![2], neededRttMs: samples[needed]![2] - samples[needed]![0] }
}

/**
 * Readings as a shared store keeps them: one flat list, each send time as an offset from the one
 * before and each answer time as its lag after its send time (`[t₀, 0, r₀, lag₀, dt₁, r₁, lag₁, …]`).
 * Every answer of every process is recorded in the shared state (the count of requests admitted
 * between two readings is what the rate is read from), and the state is compare-and-set on each
 * one: 128 triples of epoch milliseconds are 4.3 KB of JSON, this about a third of that.
 *
 * @since 0.3.0
 * @category models
 */
export interface Packed {
  readonly $s: ReadonlyArray<number>
}

/**
 * Pack readings (exact for times in whole milliseconds, as clocks give them; others stay as they are).
 *
 * @since 0.3.0
 * @category encoding
 */
export const pack = (samples: ReadonlyArray<Sample>): Packed | ReadonlyArray<Sample> => {
  if (!samples.every(([sentAt, , at]) => Number.isSafeInteger(sentAt) && Number.isSafeInteger(at))) return samples
  const flat: Array<number> = samples.length === 0 ? [] : [samples[0]![0]]
  samples.forEach(([sentAt, remaining, at], i) => flat.push(i === 0 ? 0 : sentAt - samples[i - 1]![0], remaining, at - sentAt))
  return { $s: flat }
}

/**
 * The readings `pack` packed; a malformed list (a store's corrupted value) reads as no readings.
 *
 * @since 0.3.0
 * @category encoding
 */
export const unpack = (packed: Packed | ReadonlyArray<Sample>): ReadonlyArray<Sample> => {
  if (Array.isArray(packed)) return packed
  const flat = (packed as Packed).$s
  if (!Array.isArray(flat) || flat.length % 3 !== 1 || !flat.every((x) => typeof x === "number")) return []
  const out: Array<Sample> = []
  let sentAt = flat[0]!
  for (let i = 1; i < flat.length; i += 3) {
    sentAt += flat[i]!
    out.push([sentAt, flat[i + 1]!, sentAt + flat[i + 2]!])
  }
  return out
}
