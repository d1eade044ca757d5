/**
 * Pure parsing of rate-limit response headers into one normalized shape.
 *
 * Understood families, in the order of preference when several are present:
 *
 * 1. IETF `RateLimit-Policy` / `RateLimit` structured fields (draft-ietf-httpapi-ratelimit-headers ≥ 08),
 *    parsed by `structured-headers` (RFC 8941/9651): `RateLimit-Policy: "default";q=100;w=60` and
 *    `RateLimit: "default";r=50;t=30;pk=:cHJvamVjdC0x:`. With several policies, the one with the lowest
 *    `r / t` (the tightest) wins. A policy whose quota unit `qu` is not `"requests"` (bytes, tokens) is
 *    skipped and reported as `unsupported`; a partition key `pk` is kept as a fingerprint.
 * 2. The draft-07 dictionary form `RateLimit: limit=100, remaining=50, reset=30` (with an optional
 *    `RateLimit-Policy: 100;w=60`).
 * 3. The older separate headers `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset`.
 * 4. The vendor family `X-RateLimit-Limit` / `-Remaining` / `-Reset`, with GitHub's `X-RateLimit-Used`
 *    (remaining = limit − used when `Remaining` is absent) and `X-RateLimit-Resource`.
 *
 * Reset values are ambiguous across vendors: GitHub sends epoch seconds, most others seconds from now.
 * A reset value `v` reads as: `v >= 1e12` → epoch milliseconds; `v >= 1e9` (after 2001-09-09, and a
 * delay of 31 years is never meant) → epoch seconds; otherwise seconds from `nowMs`. An absolute reset
 * already in the past is clamped to `nowMs` (clock skew). IETF `t` is always seconds from now. A reset
 * further ahead than `maxResetMs` (default one day, `adaptive.maxQuotaWait` in a config) is malformed:
 * no quota the client can wait for is that far away, and obeying it would lock the key out.
 *
 * Malformed values are never thrown: they are skipped and reported in `issues` so the caller can log
 * them. Time is passed in (`nowMs`), never read.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { type Ctx, parseIetf, withinBound } from "./structuredFields.js"

/**
 * Which header family a {@link RateLimitInfo} came from.
 *
 * @since 0.1.0
 * @category models
 */
export type RateLimitSource = "ietf" | "ietf-draft7" | "ratelimit-separate" | "x-ratelimit"

/**
 * The normalized reading of a response's rate-limit headers.
 *
 * @since 0.1.0
 * @category models
 */
export interface RateLimitInfo {
  /** Requests allowed per window (the quota). */
  readonly limit?: number
  /** Requests left in the current window. */
  readonly remaining?: number
  /** Epoch ms when the quota is restored. */
  readonly resetAt?: number
  /** The reset was stated as a whole epoch second: rounded up to it (`quotaWindow.windowOfReset`). */
  readonly resetEpochS?: boolean
  /** Window length in ms, when the headers say it (`w=`). */
  readonly window?: number
  /** IETF policy name, or GitHub's `X-RateLimit-Resource`. */
  readonly policyName?: string
  /** GitHub's `X-RateLimit-Used`. */
  readonly used?: number
  /** IETF `pk`: a fingerprint of the partition key the request was counted against (never the raw bytes). */
  readonly partition?: string
  readonly source: RateLimitSource
}

/**
 * A header that was present but could not be read; the caller logs it.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeaderIssue {
  readonly header: string
  readonly value: string
  readonly reason: string
  /** Well-formed but not usable here (e.g. a quota in bytes): logged at debug, never as a warning. */
  readonly unsupported?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ParsedRateLimitHeaders {
  readonly info: Option.Option<RateLimitInfo>
  readonly issues: ReadonlyArray<HeaderIssue>
}

/**
 * Anything header-like: `@effect/platform` `Headers` (lower-cased keys), a plain record, or Node's
 * `IncomingHttpHeaders` (arrays for repeated headers).
 *
 * @since 0.1.0
 * @category models
 */
export type HeaderInput = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * Default bound on how far ahead a stated quota reset may lie: one day (daily quotas are real).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_QUOTA_WAIT_MS = 86_400_000

const EPOCH_MS_THRESHOLD = 1e12
const EPOCH_S_THRESHOLD = 1e9
const MAX_VALUE = 1e15

/**
 * Resolves a reset value (see module doc for the disambiguation rule) to epoch ms.
 *
 * @since 0.1.0
 * @category parsing
 */
export const resolveReset = (value: number, nowMs: number): number => {
  const at = value >= EPOCH_MS_THRESHOLD
    ? value
    : value >= EPOCH_S_THRESHOLD
    ? value * 1000
    : nowMs + value * 1000
  return Math.max(nowMs, Math.round(at))
}

const lowerCase = (headers: HeaderInput): Map<string, string> => {
  const out = new Map<string, string>()
  for (const key of Object.keys(headers)) {
    const raw = headers[key]
    if (raw === undefined) continue
    const value = typeof raw === "string" ? raw : Array.isArray(raw) ? raw.join(", ") : undefined
    if (typeof value !== "string") continue
    const k = key.toLowerCase()
    const prev = out.get(k)
    out.set(k, prev === undefined ? value : `${prev}, ${value}`)
  }
  return out
}

const NUMBER = /^\d{1,16}(?:\.\d{1,9})?$/

/** A non-negative finite decimal (no sign, no exponent), or undefined. */
const readNumber = (text: string): number | undefined => {
  const t = text.trim()
  if (!NUMBER.test(t)) return undefined
  const n = Number(t)
  return Number.isFinite(n) && n <= MAX_VALUE ? n : undefined
}

/**
 * Reads a header whose value is a number, tolerating a list (`"100, 100;w=60"`): the first item's
 * leading number is used.
 */
const numericHeader = (
  map: Map<string, string>,
  name: string,
  issues: Array<HeaderIssue>
): number | undefined => {
  const value = map.get(name)
  if (value === undefined) return undefined
  const first = value.split(",")[0]!.split(";")[0]!
  const n = readNumber(first)
  if (n === undefined) issues.push({ header: name, value: value.slice(0, 200), reason: "not a non-negative number" })
  return n
}

const parseFamily = (
  map: Map<string, string>,
  prefix: "ratelimit-" | "x-ratelimit-",
  ctx: Ctx
): RateLimitInfo | undefined => {
  const { issues, nowMs } = ctx
  const limit = numericHeader(map, `${prefix}limit`, issues)
  let remaining = numericHeader(map, `${prefix}remaining`, issues)
  const given = numericHeader(map, `${prefix}reset`, issues)
  const reset = given === undefined ? undefined : withinBound(ctx, resolveReset(given, nowMs), `${prefix}reset`, map.get(`${prefix}reset`) ?? "")
  const epochS = given !== undefined && given >= EPOCH_S_THRESHOLD && given < EPOCH_MS_THRESHOLD && Number.isInteger(given)
  const used = prefix === "x-ratelimit-" ? numericHeader(map, "x-ratelimit-used", issues) : undefined
  const resource = prefix === "x-ratelimit-" ? map.get("x-ratelimit-resource")?.trim() : undefined
  if (remaining === undefined && used !== undefined && limit !== undefined) remaining = Math.max(0, limit - used)
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { resetAt: reset, ...(epochS ? { resetEpochS: true } : {}) } : {}),
    ...(used !== undefined ? { used } : {}),
    ...(resource !== undefined && resource.length > 0 ? { policyName: resource.slice(0, 100) } : {}),
    source: prefix === "x-ratelimit-" ? "x-ratelimit" : "ratelimit-separate"
  }
}

/**
 * A `RateLimit-Policy` alone (draft-6: beside it `RateLimit-Limit`, `-Remaining`, `-Reset`, as
 * express-rate-limit v6 sends them, often with its legacy `X-RateLimit-*`) tells the quota and the
 * window; the separate fields tell what is left. Read alone, the policy dropped them: the client had
 * a quota and no `remaining` (a 10 s window, docs overstated, 32 fibers 100-300 ms away: 91.7% with
 * 0.69% 429s against 97.1% and none with X-RateLimit-* alone).
 */
const withPolicy = (policy: RateLimitInfo, separate: RateLimitInfo | undefined): RateLimitInfo =>
  separate === undefined
    ? policy
    : {
      ...separate,
      ...(separate.limit === undefined && policy.limit !== undefined ? { limit: policy.limit } : {}),
      ...(policy.window !== undefined ? { window: policy.window } : {}),
      ...(policy.policyName !== undefined && separate.policyName === undefined ? { policyName: policy.policyName } : {})
    }

/**
 * Reads every supported rate-limit header family from `headers` at time `nowMs` (epoch ms).
 * Returns the preferred reading (see module doc) and the list of malformed headers that were skipped,
 * among them resets further ahead than `maxResetMs` (default {@link MAX_QUOTA_WAIT_MS}). Never throws.
 *
 * @example
 * ```ts
 * import { AdaptiveController } from "effect-governor"
 * const { info } = AdaptiveController.parseRateLimitHeaders({ "ratelimit-policy": '"default";q=100;w=60', ratelimit: '"default";r=50;t=30' }, Date.now())
 * // Some({ limit: 100, window: 60000, remaining: 50, resetAt: now + 30000, policyName: "default", source: "ietf" })
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRateLimitHeaders = (
  headers: HeaderInput,
  nowMs: number,
  maxResetMs: number = MAX_QUOTA_WAIT_MS
): ParsedRateLimitHeaders => {
  const issues: Array<HeaderIssue> = []
  try {
    const ctx: Ctx = {
      nowMs: Number.isFinite(nowMs) ? nowMs : 0,
      maxResetMs: maxResetMs >= 0 ? maxResetMs : MAX_QUOTA_WAIT_MS,
      issues
    }
    const map = lowerCase(headers)
    const separate = () => parseFamily(map, "ratelimit-", ctx) ?? parseFamily(map, "x-ratelimit-", ctx)
    const ietf = parseIetf(map, ctx)
    const info = ietf === undefined ? separate() : ietf.remaining === undefined && ietf.resetAt === undefined ? withPolicy(ietf, separate()) : ietf
    return { info: Option.fromNullable(info), issues }
  } catch (e) {
    // Defensive: the parsers above do not throw, but a header object with hostile getters might.
    issues.push({ header: "*", value: "", reason: `unreadable headers: ${String(e).slice(0, 100)}` })
    return { info: Option.none(), issues }
  }
}

/**
 * The pace (requests per second) that spends `remaining` evenly until `resetAt`, or `undefined` when
 * the info does not say both. When the reset is now or past, the quota is fresh: `limit / window`
 * when both are known, else `undefined`.
 *
 * @since 0.1.0
 * @category pacing
 */
export const headerPace = (info: RateLimitInfo, nowMs: number): number | undefined => {
  const sustained = info.limit !== undefined && info.window !== undefined && info.window > 0
    ? info.limit / (info.window / 1000)
    : undefined
  if (info.remaining === undefined || info.resetAt === undefined) return sustained
  const seconds = (info.resetAt - nowMs) / 1000
  if (seconds <= 0) return sustained
  return info.remaining / seconds
}
