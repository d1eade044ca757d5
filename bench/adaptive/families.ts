/**
 * The server families of the adaptive matrix, each a `SimulatedApi` configuration at a given hidden
 * rate (so a limit drop keeps the family's shape: a bucket keeps its burst in seconds of rate).
 * Names are figure-key segments: no dots.
 */
import type * as SimulatedApi from "../../src/testing/SimulatedApi.js"

export interface Family {
  readonly name: string
  /** What it reproduces, for the table. */
  readonly label: string
  /** Concurrent fibers per client. */
  readonly fibers: number
  /** The server at hidden limit `rate` (requests per second). */
  readonly server: (rate: number) => SimulatedApi.Options
}

const FIBERS = 8
/** Delayed families: with 100-200 ms round trips, 8 fibers could not even reach the limit. */
const DELAYED_FIBERS = 32
const DELAY = { min: "50 millis", max: "100 millis" } as const
const ALL_5XX = [500, 502, 503, 504] as const

/** A token bucket holding `burstS` seconds of its rate, whole-second Retry-After unless told otherwise. */
const bucket = (burstS: number, extra: Partial<SimulatedApi.Options> = {}) => (rate: number): SimulatedApi.Options => ({
  rate,
  burst: Math.max(1, rate * burstS),
  retryAfter: "seconds",
  ...extra
})

/** nginx `limit_req zone=… burst=5 nodelay`: GCRA, 6 at once, no Retry-After, no rate-limit headers. */
const nginx = (rejectStatus: 429 | 503, extra: Partial<SimulatedApi.Options> = {}) => (rate: number): SimulatedApi.Options => ({
  rate,
  burst: 6,
  algorithm: { type: "gcra" },
  rejectStatus,
  retryAfter: "none",
  ...extra
})

const family = (name: string, label: string, server: Family["server"], fibers = FIBERS): Family => ({ name, label, fibers, server })

export const tb100ms = family("tb-100ms", "token bucket, burst 0.1 s, Retry-After seconds", bucket(0.1))
export const tb500ms = family("tb-500ms", "token bucket, burst 0.5 s, Retry-After seconds", bucket(0.5))
export const tb2s = family("tb-2s", "token bucket, burst 2 s, Retry-After seconds", bucket(2))

/** express-rate-limit v7 (`standardHeaders: "draft-7"`): a 1 s window opened by the first request. */
export const fw1s = family("fw-1s-draft7", "fixed window 1 s, IETF draft-7 headers, Retry-After seconds", (rate) => ({
  rate,
  algorithm: { type: "fixed-window", window: "1 second" },
  retryAfter: "seconds",
  headers: { ietf: { draft: "draft-7" } }
}))

/** express-rate-limit v6 (`standardHeaders: true, legacyHeaders: true`): draft-6 fields and X-RateLimit-* (epoch reset). */
export const fw10s = family("fw-10s-draft6", "fixed window 10 s, IETF draft-6 + X-RateLimit-* (epoch), Retry-After seconds", (rate) => ({
  rate,
  algorithm: { type: "fixed-window", window: "10 seconds" },
  retryAfter: "seconds",
  headers: { ietf: { draft: "draft-6" }, xRateLimit: "epoch" }
}))

export const slidingLog = family("slog-1s", "sliding-window log 1 s, Retry-After seconds", (rate) => ({
  rate,
  algorithm: { type: "sliding-log", window: "1 second" },
  retryAfter: "seconds"
}))

export const nginx429 = family("nginx-429", "nginx limit_req burst=5 nodelay, 429, no Retry-After", nginx(429))
export const nginx503 = family("nginx-503", "nginx limit_req burst=5 nodelay, 503 (default), no Retry-After", nginx(503))

export const raPrecise = family("tb-500ms-ra-precise", "token bucket 0.5 s, Retry-After fractional seconds", bucket(0.5, { retryAfter: "precise" }))
export const raDate = family("tb-500ms-ra-date", "token bucket 0.5 s, Retry-After HTTP-date", bucket(0.5, { retryAfter: "http-date" }))
export const raNone = family("tb-500ms-ra-none", "token bucket 0.5 s, no Retry-After", bucket(0.5, { retryAfter: "none" }))

export const xRateLimit = family("tb-1s-xrl", "token bucket 1 s, X-RateLimit-* (delta reset)", bucket(1, { headers: { xRateLimit: "delta" } }))
export const ietfPk = family(
  "tb-1s-ietf-pk",
  "token bucket 1 s, IETF RateLimit/RateLimit-Policy with pk",
  bucket(1, { headers: { ietf: { partitionKey: "bench-user" } } })
)

/** GitHub's primary limit: a window opened by the first request, 403 with X-RateLimit-Remaining: 0, no Retry-After. */
export const github = family("github-403", "fixed window 10 s, 403 + X-RateLimit-* (epoch), no Retry-After", (rate) => ({
  rate,
  algorithm: { type: "fixed-window", window: "10 seconds" },
  rejectStatus: 403,
  retryAfter: "none",
  headers: { xRateLimit: "epoch" }
}))

export const noise5 = family("tb-500ms-noise5", "token bucket 0.5 s + 5% random 500/502/503/504", bucket(0.5, { errorRate: 0.05, errorStatuses: ALL_5XX }))
export const noise20 = family("tb-500ms-noise20", "token bucket 0.5 s + 20% random 500/502/503/504", bucket(0.5, { errorRate: 0.2, errorStatuses: ALL_5XX }))

export const tbDelayed = family("tb-500ms-delay", "token bucket 0.5 s, 50-100 ms each way, 32 fibers", bucket(0.5, { networkDelay: DELAY }), DELAYED_FIBERS)
export const nginxDelayed = family("nginx-503-delay", "nginx 503, 50-100 ms each way, 32 fibers", nginx(503, { networkDelay: DELAY }), DELAYED_FIBERS)

/** Noisy families and the clean family they are compared with (`adaptive.noise_vs_clean`). */
export const noiseTwins = [
  { noisy: noise5.name, clean: tb500ms.name },
  { noisy: noise20.name, clean: tb500ms.name }
] as const
