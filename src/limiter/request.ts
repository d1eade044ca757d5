/**
 * The validation half of the admission core, shared by every store: the limits of a call compiled
 * once (names unique, `Limit` values only), a cost resolved against them (per-limit amounts, typed
 * errors naming what was wrong) and `maxWait` read as milliseconds. Pure: no clock, no state.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Option } from "effect"
import { decodeDuration } from "../internal/duration.js"
import * as Bucket from "./bucket.js"
import { CostExceedsCapacity, InvalidCost } from "./errors.js"
import { Limit } from "./Limit.js"
import type { Cost } from "./RateLimiter.js"

/**
 * A list of limits compiled once (cached per array instance).
 *
 * @since 0.1.0
 * @category models
 */
export interface LimitSet {
  readonly specs: ReadonlyArray<Bucket.BucketSpec>
  readonly names: ReadonlyArray<string>
  readonly index: ReadonlyMap<string, number>
  /** The cost-1 request, when every capacity is >= 1 (the common call, resolved once). */
  readonly unit: Request | undefined
  /** Slowest sustained rate among the limits, requests/second. */
  readonly tightest: number
  /** Numeric costs resolved so far (a few dozen at most): the same request object every time. */
  readonly byAmount: Map<number, Request>
}

/**
 * A cost resolved against a limit set: one amount per limit, in the set's order.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly set: LimitSet
  readonly costs: ReadonlyArray<number>
  readonly record: Readonly<Record<string, number>>
  /** The cost as the caller gave it, for error messages (the largest per-limit cost for maps). */
  readonly amount: number
}

const setCache = new WeakMap<ReadonlyArray<Limit>, LimitSet | string>()

const build = (limits: ReadonlyArray<Limit>): LimitSet | string => {
  const index = new Map<string, number>()
  const specs: Array<Bucket.BucketSpec> = []
  let tightest = Infinity
  for (const limit of limits) {
    if (!(limit instanceof Limit)) return "limits must be Limit values (use Limit.perSecond, Limit.custom, Limit.decode…)"
    if (index.has(limit.name)) return `duplicate limit name "${limit.name}" in limits`
    index.set(limit.name, specs.length)
    specs.push(Bucket.compile(limit))
    tightest = Math.min(tightest, limit.ratePerSecond)
  }
  const names = specs.map((s) => s.name)
  const set: { -readonly [K in keyof LimitSet]: LimitSet[K] } = {
    specs,
    names,
    index,
    unit: undefined,
    tightest,
    byAmount: new Map()
  }
  if (specs.every((s) => s.capacity >= 1)) {
    set.unit = {
      set,
      costs: specs.map(() => 1),
      record: Object.freeze(Object.fromEntries(names.map((n) => [n, 1]))),
      amount: 1
    }
  }
  return set
}

/**
 * Compile `limits` (cached per array instance), or the reason they cannot be used.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileSet = (limits: ReadonlyArray<Limit>): LimitSet | string => {
  let set = setCache.get(limits)
  if (set === undefined) {
    set = build(limits)
    setCache.set(limits, set)
  }
  return set
}

const invalidAmount = (n: unknown): boolean => typeof n !== "number" || !Number.isFinite(n) || n < 0

const resolveMap = (key: string, set: LimitSet, cost: Readonly<Record<string, number>>): Request | InvalidCost => {
  const costs: Array<number> = new Array(set.specs.length).fill(0)
  const record: Record<string, number> = {}
  for (const name of set.names) record[name] = 0
  let amount = 0
  for (const name of Object.keys(cost)) {
    const i = set.index.get(name)
    if (i === undefined) {
      return new InvalidCost({
        key,
        reason: `limit "${name}" does not apply here (applicable: ${set.names.map((n) => `"${n}"`).join(", ") || "none"})`
      })
    }
    const v = cost[name]
    if (invalidAmount(v)) {
      return new InvalidCost({ key, reason: `cost of "${name}" must be a finite number >= 0, got ${String(v)}` })
    }
    costs[i] = v!
    record[name] = v!
    if (v! > amount) amount = v!
  }
  return { set, costs, record: Object.freeze(record), amount }
}

/**
 * Resolve a cost against a set (`undefined` is 1; limits missing from a map cost 0): `InvalidCost`
 * for a bad number or a name that does not apply. Capacity is not checked here (see
 * {@link capacityError}): a lease adjusted upwards may exceed it and go into debt.
 *
 * @since 0.1.0
 * @category resolution
 */
export const resolveCost = (key: string, set: LimitSet, cost: Cost | undefined): Request | InvalidCost => {
  if ((cost === undefined || cost === 1) && set.unit !== undefined) return set.unit
  const amountOrMap = cost ?? 1
  if (typeof amountOrMap !== "number") {
    return amountOrMap === null || typeof amountOrMap !== "object"
      ? new InvalidCost({ key, reason: `cost must be a number or a map of limit name to number` })
      : resolveMap(key, set, amountOrMap)
  }
  if (invalidAmount(amountOrMap)) {
    return new InvalidCost({ key, reason: `cost must be a finite number >= 0, got ${String(amountOrMap)}` })
  }
  let req = set.byAmount.get(amountOrMap)
  if (req === undefined) {
    const record: Record<string, number> = {}
    for (const name of set.names) record[name] = amountOrMap
    req = { set, costs: set.names.map(() => amountOrMap), record: Object.freeze(record), amount: amountOrMap }
    if (set.byAmount.size < 64) set.byAmount.set(amountOrMap, req)
  }
  return req
}

/**
 * `CostExceedsCapacity` for the first limit the request can never fit, else `undefined`.
 *
 * @since 0.1.0
 * @category resolution
 */
export const capacityError = (key: string, req: Request): CostExceedsCapacity | undefined => {
  if (req === req.set.unit) return undefined
  const specs = req.set.specs
  for (let i = 0; i < specs.length; i++) {
    if (req.costs[i]! > specs[i]!.capacity) {
      return new CostExceedsCapacity({ key, limit: specs[i]!.name, cost: req.costs[i]!, capacity: specs[i]!.capacity })
    }
  }
  return undefined
}

/**
 * The `InvalidCost` reason for a `maxWait` that is not a duration >= 0.
 *
 * @since 0.1.0
 * @category resolution
 */
export const maxWaitReason = (maxWait: unknown): string =>
  `maxWait must be a duration >= 0 (milliseconds, "2 seconds", a Duration), got ${
    typeof maxWait === "string" ? JSON.stringify(maxWait) : String(maxWait)
  }`

/**
 * `maxWait` in milliseconds (`Infinity` when not given), or `InvalidCost` naming it: `-1`, `NaN` and
 * `"-5 seconds"` are refused rather than read as "don't wait".
 *
 * @since 0.1.0
 * @category resolution
 */
export const maxWaitMillis = (key: string, maxWait: Duration.DurationInput | undefined): number | InvalidCost => {
  if (maxWait === undefined) return Infinity
  if (maxWait === 0) return 0
  const d = decodeDuration(maxWait)
  return Option.isNone(d) ? new InvalidCost({ key, reason: maxWaitReason(maxWait) }) : Duration.toMillis(d.value)
}

/**
 * The cost a `RateLimitExceeded` reports: that of the first limit standing in the way, else the amount.
 *
 * @since 0.1.0
 * @category resolution
 */
export const reportedCost = (req: Request, blockedBy: ReadonlyArray<string>): number => {
  const first = blockedBy.length === 0 ? undefined : req.set.index.get(blockedBy[0]!)
  return first === undefined ? req.amount : req.costs[first]!
}
