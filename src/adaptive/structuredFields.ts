/**
 * The IETF rate-limit fields (RFC 8941/9651 structured fields, parsed by `structured-headers`):
 * `RateLimit-Policy` / `RateLimit` of draft-ietf-httpapi-ratelimit-headers >= 08 and the draft-07
 * dictionary form. The other families and the choice among them are in `headers.ts`.
 *
 * @since 0.1.0
 */
import * as SF from "structured-headers"
import type { HeaderIssue, RateLimitInfo } from "./headers.js"

/** Where a parse stands: the time, the bound on resets, and the issues found so far. */
export interface Ctx {
  readonly nowMs: number
  readonly maxResetMs: number
  readonly issues: Array<HeaderIssue>
}

/** `resetAt`, or `undefined` and an issue when it lies further ahead than the bound. */
export const withinBound = (ctx: Ctx, resetAt: number, header: string, value: string): number | undefined => {
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
export const parseIetf = (map: Map<string, string>, ctx: Ctx): RateLimitInfo | undefined => {
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
