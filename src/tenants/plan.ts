/**
 * From a resolved hierarchy (`LimitsResolver.resolveChain`: the entity first, the root last) to the
 * levels one admission consumes from: each level's limits, its cost, its key (under the root's hash
 * tag on Redis) and its usage ring. Pure.
 *
 * - The entity's own level is always there (a cooldown of its key applies even without limits); when
 *   nothing is stored for it (`source: "none"`) it takes the caller's fallback limits.
 * - An ancestor with no limits at any level is skipped.
 * - A number costs that much on every limit of every level; a cost map charges each named limit
 *   wherever a level has it (a name no level has is an `InvalidCost`).
 *
 * @since 0.1.0
 */
import { CostExceedsCapacity, InvalidCost } from "../limiter/errors.js"
import type { Limit } from "../limiter/Limit.js"
import type { Level } from "../limiter/LimiterStore.js"
import type { Cost } from "../limiter/RateLimiter.js"
import { capacityError, compileSet, type LimitSet, resolveCost } from "../limiter/request.js"
import type { LimitsSource, Resolved } from "../limits/resolve.js"
import { labelsOf, levelKey } from "./keys.js"

/**
 * Where a store keeps a level's state and its usage ring.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyNaming {
  /** The store key of `entity` calling `resource` in the hierarchy of `root`. */
  readonly level: (root: string, entity: string, resource: string) => string
  /** The store key of `entity`'s usage ring, or `undefined` when the store keeps no usage. */
  readonly ring: (root: string, entity: string) => string | undefined
}

/**
 * The levels of one admission.
 *
 * @since 0.1.0
 * @category models
 */
export interface Planned {
  /** The entity's limiter key (`entity@resource`), as errors and permits name it. */
  readonly key: string
  readonly root: string
  /** Per level: the entity and where its limits came from. */
  readonly entities: ReadonlyArray<string>
  readonly sources: ReadonlyArray<LimitsSource>
  readonly levels: ReadonlyArray<Level>
}

const sliceOf = (set: LimitSet, cost: Readonly<Record<string, number>>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const name of Object.keys(cost)) if (set.index.has(name)) out[name] = cost[name]!
  return out
}

/**
 * The levels of `chain` for `cost`, or the typed error naming what was wrong.
 *
 * @since 0.1.0
 * @category planning
 */
export const planLevels = (
  chain: ReadonlyArray<Resolved>,
  resource: string,
  cost: Cost | undefined,
  fallback: ReadonlyArray<Limit>,
  naming: KeyNaming
): Planned | InvalidCost | CostExceedsCapacity => {
  const entity = chain[0]!.entity
  const key = levelKey(entity, resource)
  const root = chain[chain.length - 1]!.entity
  const entities: Array<string> = []
  const sources: Array<LimitsSource> = []
  const levels: Array<Level> = []
  const costMap = typeof cost === "object" && cost !== null ? cost : undefined
  const named = new Set<string>()
  for (let i = 0; i < chain.length; i++) {
    const r = chain[i]!
    const limits = i === 0 && r.source === "none" ? fallback : r.limits
    if (i > 0 && limits.length === 0) continue
    const set = compileSet(limits)
    if (typeof set === "string") return new InvalidCost({ key, reason: `limits of ${r.entity}: ${set}` })
    if (costMap !== undefined) for (const name of Object.keys(costMap)) if (set.index.has(name)) named.add(name)
    const req = resolveCost(key, set, costMap === undefined ? cost : sliceOf(set, costMap))
    if (req instanceof InvalidCost) return req
    const tooBig = capacityError(key, req)
    if (tooBig !== undefined) return tooBig
    const ring = naming.ring(root, r.entity)
    entities.push(r.entity)
    sources.push(r.source)
    levels.push({
      key: naming.level(root, r.entity, resource),
      req,
      usage: ring === undefined ? undefined : { ring, labels: labelsOf(set, resource) }
    })
  }
  const unknown = costMap === undefined ? [] : Object.keys(costMap).filter((name) => !named.has(name))
  if (unknown.length > 0) {
    return new InvalidCost({ key, reason: `limit "${unknown[0]}" applies at no level of ${entities.join(" > ")}` })
  }
  return { key, root, entities, sources, levels }
}
