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
import * as SF from "structured-headers"

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

// ---------------------------------------------------------------------------------------------
// Structured fields (RFC 8941/9651), parsed by `structured-headers`
// ---------------------------------------------------------------------------------------------

/** Where a parse stands: the time, the bound on resets, and the issues found so far. */
interface Ctx {
  readonly nowMs: number
  readonly maxResetMs: number
  readonly issues: Array<HeaderIssue>
}

/** `resetAt`, or `undefined` and an issue when it lies further ahead than the bound. */
const withinBound = (ctx: Ctx, resetAt: number, header: string, value: string): number | undefined => {
  if (resetAt - ctx.nowMs <= ctx.maxResetMs) return resetAt
  ctx.issues.push({
    header,
    value: value.slice(0, 200),
    reason: `reset ${Math.round((resetAt - ctx.nowMs) / 1000)} s away is beyond the ${
      Math.round(ctx.maxResetMs / 1000)
    } s bound (maxQuotaWait)`
  })
  return undefined
}

/** One list or dictionary member that is an item (inner lists carry no rate-limit meaning). */
interface SfItem {
  readonly item: SF.BareItem
  readonly params: SF.Parameters
}

const isItem = (member: SF.Item | SF.InnerList): member is SF.Item => !Array.isArray(member[0])

const parseSf = <A>(header: string, value: string, f: (s: string) => A, issues: Array<HeaderIssue>): A | undefined => {
  try {
    return f(value.trim())
  } catch (e) {
    issues.push({
      header,
      value: value.slice(0, 200),
      reason: e instanceof SF.ParseError ? e.message.slice(0, 200) : "unparseable structured field"
    })
    return undefined
  }
}

const sfList = (header: string, value: string, issues: Array<HeaderIssue>): ReadonlyArray<SfItem> | undefined =>
  parseSf(header, value, (s) => SF.parseList(s).filter(isItem).map(([item, params]) => ({ item, params })), issues)

const sfDictionary = (header: string, value: string, issues: Array<HeaderIssue>): ReadonlyMap<string, SfItem> | undefined =>
  parseSf(header, value, (s) => {
    const out = new Map<string, SfItem>()
    for (const [k, member] of SF.parseDictionary(s)) if (isItem(member)) out.set(k, { item: member[0], params: member[1] })
    return out
  }, issues)

const nonNegative = (item: SF.BareItem | undefined): number | undefined =>
  typeof item === "number" && item >= 0 && Number.isFinite(item) ? item : undefined

const itemName = (item: SF.BareItem): string | undefined =>
  typeof item === "string" ? item : item instanceof SF.Token ? item.toString() : undefined

/**
 * A partition key (`pk`, a byte sequence) as a short fingerprint: it often derives from the caller's
 * identity, so the raw bytes never leave the parser (logs, snapshots).
 */
const partitionOf = (item: SF.BareItem | undefined): string | undefined => {
  if (item === undefined || typeof item !== "object" || item instanceof SF.Token || item instanceof Date) return undefined
  if (!(item instanceof ArrayBuffer) && !ArrayBuffer.isView(item)) return undefined
  const bytes = item instanceof ArrayBuffer ? new Uint8Array(item) : new Uint8Array(item.buffer, item.byteOffset, item.byteLength)
  return fnv1a(bytes)
}

/** 32-bit FNV-1a as 8 hex digits: enough to tell a handful of partitions apart, reveals nothing. */
const fnv1a = (bytes: Uint8Array): string => {
  let h = 0x811c9dc5
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0
  return h.toString(16).padStart(8, "0")
}

interface Policy {
  readonly name?: string
  readonly quota?: number
  readonly windowS?: number
  /** `qu`: what the quota counts; only `"requests"` (the default) paces requests. */
  readonly unit: string
}

const REQUESTS = "requests"

const readPolicies = (value: string | undefined, issues: Array<HeaderIssue>): ReadonlyArray<Policy> => {
  if (value === undefined) return []
  const list = sfList("ratelimit-policy", value, issues)
  if (list === undefined) return []
  return list.map((m): Policy => {
    const name = itemName(m.item)
    // draft ≤ 07: the item itself is the quota (`100;w=60`); draft ≥ 08: `q=` parameter.
    const quota = nonNegative(m.params.get("q")) ?? nonNegative(m.item)
    const windowS = nonNegative(m.params.get("w"))
    const unit = m.params.get("qu")
    return {
      ...(name !== undefined ? { name } : {}),
      ...(quota !== undefined ? { quota } : {}),
      ...(windowS !== undefined && windowS > 0 ? { windowS } : {}),
      unit: typeof unit === "string" ? unit : unit instanceof SF.Token ? unit.toString() : REQUESTS
    }
  })
}

/** Policies counting something other than requests (bytes, tokens) cannot pace requests: noted, skipped. */
const requestPolicies = (policies: ReadonlyArray<Policy>, issues: Array<HeaderIssue>): ReadonlyArray<Policy> =>
  policies.filter((p) => {
    if (p.unit === REQUESTS) return true
    issues.push({
      header: "ratelimit-policy",
      value: `${p.name ?? ""};qu=${p.unit}`.slice(0, 200),
      reason: `quota unit "${p.unit.slice(0, 40)}" is not requests`,
      unsupported: true
    })
    return false
  })

const fromPolicy = (p: Policy | undefined): Partial<{ limit: number; window: number }> =>
  p === undefined
    ? {}
    : {
      ...(p.quota !== undefined ? { limit: p.quota } : {}),
      ...(p.windowS !== undefined ? { window: p.windowS * 1000 } : {})
    }

/** draft-07: `RateLimit: limit=100, remaining=50, reset=30` with an optional numeric policy. */
const parseDraft7 = (value: string, policies: ReadonlyArray<Policy>, ctx: Ctx): RateLimitInfo | undefined => {
  const { issues, nowMs } = ctx
  const dict = sfDictionary("ratelimit", value, issues)
  if (dict === undefined) return undefined
  const limit = nonNegative(dict.get("limit")?.item)
  const remaining = nonNegative(dict.get("remaining")?.item)
  const given = nonNegative(dict.get("reset")?.item)
  const reset = given === undefined ? undefined : withinBound(ctx, nowMs + Math.round(given * 1000), "ratelimit", value)
  if (limit === undefined && remaining === undefined && given === undefined) {
    issues.push({ header: "ratelimit", value: value.slice(0, 200), reason: "no numeric limit/remaining/reset" })
    return undefined
  }
  return {
    ...fromPolicy(policies[0]),
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { resetAt: reset } : {}),
    source: "ietf-draft7"
  }
}

/**
 * Current IETF draft: `RateLimit: "name";r=50;t=30;pk=:…:` (a list) with `RateLimit-Policy:
 * "name";q=100;w=60;qu="requests"`; or the draft-07 dictionary. With several request policies the
 * tightest (`r / t`) wins.
 */
const parseIetf = (map: Map<string, string>, ctx: Ctx): RateLimitInfo | undefined => {
  const { issues, nowMs } = ctx
  const value = map.get("ratelimit")
  const all = readPolicies(map.get("ratelimit-policy"), issues)
  const policies = requestPolicies(all, issues)
  if (value === undefined) {
    // A policy alone still tells the quota.
    const p = policies[0]
    if (p === undefined || p.quota === undefined) return undefined
    return { ...fromPolicy(p), ...(p.name !== undefined ? { policyName: p.name } : {}), source: "ietf" }
  }
  const trimmed = value.trim()
  if (/^(limit|remaining|reset)\s*=/.test(trimmed)) return parseDraft7(trimmed, policies, ctx)
  const list = sfList("ratelimit", trimmed, issues)
  if (list === undefined) return undefined
  let best: RateLimitInfo | undefined
  let bestPace = Infinity
  let sawItem = false
  for (const m of list) {
    const r = nonNegative(m.params.get("r"))
    const t = nonNegative(m.params.get("t"))
    if (r === undefined && t === undefined) continue
    sawItem = true
    // An item whose reset is beyond the bound is malformed as a whole (noted): its r= cannot be paced.
    if (t !== undefined && withinBound(ctx, nowMs + Math.round(t * 1000), "ratelimit", value) === undefined) continue
    const name = itemName(m.item)
    // An item naming a policy of another unit is skipped (already noted); an unnamed or unknown one
    // takes the only request policy, if there is exactly one.
    if (all.some((p) => p.name === name && p.unit !== REQUESTS)) continue
    const policy = policies.find((p) => p.name === name) ?? (policies.length === 1 ? policies[0] : undefined)
    const partition = partitionOf(m.params.get("pk"))
    const pace = r === undefined ? Infinity : r / Math.max(t ?? 1, 1e-3)
    if (best === undefined || pace < bestPace) {
      bestPace = pace
      best = {
        ...fromPolicy(policy),
        ...(r !== undefined ? { remaining: r } : {}),
        ...(t !== undefined ? { resetAt: nowMs + Math.round(t * 1000) } : {}),
        ...(name !== undefined ? { policyName: name } : {}),
        ...(partition !== undefined ? { partition } : {}),
        source: "ietf"
      }
    }
  }
  if (!sawItem) issues.push({ header: "ratelimit", value: value.slice(0, 200), reason: "no item with r= or t= parameters" })
  return best
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
    const info = parseIetf(map, ctx) ?? parseFamily(map, "ratelimit-", ctx) ?? parseFamily(map, "x-ratelimit-", ctx)
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
