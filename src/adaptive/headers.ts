/**
 * Pure parsing of rate-limit response headers into one normalized shape.
 *
 * Understood families, in the order of preference when several are present:
 *
 * 1. IETF `RateLimit-Policy` / `RateLimit` structured fields (draft-ietf-httpapi-ratelimit-headers ≥ 08):
 *    `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=50;t=30`. With several
 *    policies, the one with the lowest `r / t` (the tightest) wins.
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
  /** Window length in ms, when the headers say it (`w=`). */
  readonly window?: number
  /** IETF policy name, or GitHub's `X-RateLimit-Resource`. */
  readonly policyName?: string
  /** GitHub's `X-RateLimit-Used`. */
  readonly used?: number
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
// Structured fields (RFC 8941 subset: lists of items with parameters, dictionaries)
// ---------------------------------------------------------------------------------------------

type BareItem = { readonly kind: "number"; readonly value: number } | {
  readonly kind: "string"
  readonly value: string
} | { readonly kind: "token"; readonly value: string } | { readonly kind: "boolean"; readonly value: boolean }

interface SfItem {
  readonly item: BareItem
  readonly params: ReadonlyMap<string, BareItem>
}

class SfError {
  constructor(readonly reason: string) {}
}

/** A minimal RFC 8941 parser for lists and dictionaries of bare items with parameters. */
class SfParser {
  private i = 0
  constructor(private readonly s: string) {}

  private peek(): string | undefined {
    return this.s[this.i]
  }
  private skipSP(): void {
    while (this.s[this.i] === " ") this.i++
  }
  private skipOWS(): void {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++
  }
  private key(): string {
    const m = /^[a-z*][a-z0-9_\-.*]*/.exec(this.s.slice(this.i))
    if (m === null) throw new SfError(`expected a key at ${this.i}`)
    this.i += m[0].length
    return m[0]
  }
  private bareItem(): BareItem {
    const c = this.peek()
    if (c === '"') {
      this.i++
      let out = ""
      for (;;) {
        const ch = this.s[this.i++]
        if (ch === undefined) throw new SfError("unterminated string")
        if (ch === "\\") {
          const next = this.s[this.i++]
          if (next !== '"' && next !== "\\") throw new SfError("bad escape in string")
          out += next
        } else if (ch === '"') {
          return { kind: "string", value: out }
        } else {
          const code = ch.charCodeAt(0)
          if (code < 0x20 || code > 0x7e) throw new SfError("non-printable character in string")
          out += ch
        }
      }
    }
    if (c === "?") {
      const b = this.s[this.i + 1]
      if (b !== "0" && b !== "1") throw new SfError("bad boolean")
      this.i += 2
      return { kind: "boolean", value: b === "1" }
    }
    const num = /^-?\d{1,15}(?:\.\d{1,3})?/.exec(this.s.slice(this.i))
    if (num !== null) {
      this.i += num[0].length
      return { kind: "number", value: Number(num[0]) }
    }
    const tok = /^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*/.exec(this.s.slice(this.i))
    if (tok !== null) {
      this.i += tok[0].length
      return { kind: "token", value: tok[0] }
    }
    throw new SfError(`unexpected character ${JSON.stringify(c ?? "end")} at ${this.i}`)
  }
  private params(): Map<string, BareItem> {
    const out = new Map<string, BareItem>()
    while (this.peek() === ";") {
      this.i++
      this.skipSP()
      const k = this.key()
      let v: BareItem = { kind: "boolean", value: true }
      if (this.peek() === "=") {
        this.i++
        v = this.bareItem()
      }
      out.set(k, v)
    }
    return out
  }
  private done(): boolean {
    return this.i >= this.s.length
  }
  private separator(): boolean {
    this.skipOWS()
    if (this.done()) return false
    if (this.peek() !== ",") throw new SfError(`expected "," at ${this.i}`)
    this.i++
    this.skipOWS()
    if (this.done()) throw new SfError("trailing comma")
    return true
  }

  list(): Array<SfItem> {
    const out: Array<SfItem> = []
    this.skipSP()
    if (this.done()) return out
    do {
      const item = this.bareItem()
      out.push({ item, params: this.params() })
    } while (this.separator())
    return out
  }

  dictionary(): Map<string, SfItem> {
    const out = new Map<string, SfItem>()
    this.skipSP()
    if (this.done()) return out
    do {
      const k = this.key()
      let item: BareItem = { kind: "boolean", value: true }
      if (this.peek() === "=") {
        this.i++
        item = this.bareItem()
      }
      out.set(k, { item, params: this.params() })
    } while (this.separator())
    return out
  }
}

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

const parseSf = <A>(
  header: string,
  value: string,
  f: (p: SfParser) => A,
  issues: Array<HeaderIssue>
): A | undefined => {
  try {
    return f(new SfParser(value.trim()))
  } catch (e) {
    issues.push({
      header,
      value: value.slice(0, 200),
      reason: e instanceof SfError ? e.reason : "unparseable structured field"
    })
    return undefined
  }
}

const nonNegative = (item: BareItem | undefined): number | undefined =>
  item !== undefined && item.kind === "number" && item.value >= 0 && Number.isFinite(item.value) ? item.value : undefined

const itemName = (item: BareItem): string | undefined =>
  item.kind === "string" || item.kind === "token" ? item.value : undefined

interface Policy {
  readonly name?: string
  readonly quota?: number
  readonly windowS?: number
}

const readPolicies = (value: string | undefined, issues: Array<HeaderIssue>): ReadonlyArray<Policy> => {
  if (value === undefined) return []
  const list = parseSf("ratelimit-policy", value, (p) => p.list(), issues)
  if (list === undefined) return []
  return list.map((m): Policy => {
    const name = itemName(m.item)
    // draft ≤ 07: the item itself is the quota (`100;w=60`); draft ≥ 08: `q=` parameter.
    const quota = nonNegative(m.params.get("q")) ?? nonNegative(m.item)
    const windowS = nonNegative(m.params.get("w"))
    return {
      ...(name !== undefined ? { name } : {}),
      ...(quota !== undefined ? { quota } : {}),
      ...(windowS !== undefined && windowS > 0 ? { windowS } : {})
    }
  })
}

const fromPolicy = (p: Policy | undefined): Partial<{ limit: number; window: number }> =>
  p === undefined
    ? {}
    : {
      ...(p.quota !== undefined ? { limit: p.quota } : {}),
      ...(p.windowS !== undefined ? { window: p.windowS * 1000 } : {})
    }

/** Current IETF draft: `RateLimit: "name";r=50;t=30` (a list); or draft-07 dictionary. */
const parseIetf = (map: Map<string, string>, ctx: Ctx): RateLimitInfo | undefined => {
  const { issues, nowMs } = ctx
  const value = map.get("ratelimit")
  const policies = readPolicies(map.get("ratelimit-policy"), issues)
  if (value === undefined) {
    // A policy alone still tells the quota.
    const p = policies[0]
    if (p === undefined || p.quota === undefined) return undefined
    return { ...fromPolicy(p), ...(p.name !== undefined ? { policyName: p.name } : {}), source: "ietf" }
  }
  const trimmed = value.trim()
  // draft-07 dictionary form starts with a key such as `limit=`.
  if (/^(limit|remaining|reset)\s*=/.test(trimmed)) {
    const dict = parseSf("ratelimit", trimmed, (p) => p.dictionary(), issues)
    if (dict === undefined) return undefined
    const limit = nonNegative(dict.get("limit")?.item)
    const remaining = nonNegative(dict.get("remaining")?.item)
    const given = nonNegative(dict.get("reset")?.item)
    const reset = given === undefined ? undefined : withinBound(ctx, nowMs + Math.round(given * 1000), "ratelimit", value)
    if (limit === undefined && remaining === undefined && given === undefined) {
      issues.push({ header: "ratelimit", value: value.slice(0, 200), reason: "no numeric limit/remaining/reset" })
      return undefined
    }
    const p = policies[0]
    return {
      ...fromPolicy(p),
      ...(limit !== undefined ? { limit } : {}),
      ...(remaining !== undefined ? { remaining } : {}),
      ...(reset !== undefined ? { resetAt: reset } : {}),
      source: "ietf-draft7"
    }
  }
  const list = parseSf("ratelimit", trimmed, (p) => p.list(), issues)
  if (list === undefined) return undefined
  let best: RateLimitInfo | undefined
  let bestPace = Infinity
  let beyond = false
  for (const m of list) {
    const r = nonNegative(m.params.get("r"))
    const t = nonNegative(m.params.get("t"))
    if (r === undefined && t === undefined) continue
    // An item whose reset is beyond the bound is malformed as a whole: its r= cannot be paced.
    if (t !== undefined && withinBound(ctx, nowMs + Math.round(t * 1000), "ratelimit", value) === undefined) {
      beyond = true
      continue
    }
    const name = itemName(m.item)
    const policy = policies.find((p) => p.name === name) ?? (policies.length === 1 ? policies[0] : undefined)
    const pace = r === undefined ? Infinity : r / Math.max(t ?? 1, 1e-3)
    if (best === undefined || pace < bestPace) {
      bestPace = pace
      best = {
        ...fromPolicy(policy),
        ...(r !== undefined ? { remaining: r } : {}),
        ...(t !== undefined ? { resetAt: nowMs + Math.round(t * 1000) } : {}),
        ...(name !== undefined ? { policyName: name } : {}),
        source: "ietf"
      }
    }
  }
  if (best === undefined && !beyond) {
    issues.push({ header: "ratelimit", value: value.slice(0, 200), reason: "no item with r= or t= parameters" })
  }
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
  const reset = given === undefined
    ? undefined
    : withinBound(ctx, resolveReset(given, nowMs), `${prefix}reset`, map.get(`${prefix}reset`) ?? "")
  const used = prefix === "x-ratelimit-" ? numericHeader(map, "x-ratelimit-used", issues) : undefined
  const resource = prefix === "x-ratelimit-" ? map.get("x-ratelimit-resource")?.trim() : undefined
  if (remaining === undefined && used !== undefined && limit !== undefined) remaining = Math.max(0, limit - used)
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { resetAt: reset } : {}),
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
 * import { parseRateLimitHeaders } from "effect-governor/adaptive"
 * const { info } = parseRateLimitHeaders({ "ratelimit-policy": '"default";q=100;w=60', ratelimit: '"default";r=50;t=30' }, Date.now())
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
