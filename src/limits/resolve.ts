/**
 * Resolution of the limits of one (entity, resource): the entity's override for that resource, then
 * its override for every resource (`"*"`), then the resource's default, then the system default. The
 * first level that has a value wins whole (lists are not merged limit by limit), and the result says
 * which level applied, like zae-limiter's `ConfigSource`. Pure.
 *
 * @since 0.1.0
 */
import type { Limit } from "../limiter/Limit.js"
import { ANY_RESOURCE, type EntitySettings } from "./model.js"

/**
 * The level whose limits applied. `"none"`: nothing is stored for this entity, resource or system; the
 * caller keeps the limits it was configured with.
 *
 * @since 0.1.0
 * @category models
 */
export type LimitsSource = "entity" | "entityDefault" | "resource" | "system" | "none"

/**
 * The limits that apply to `entity` calling `resource`, and where they came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly entity: string
  readonly resource: string
  readonly limits: ReadonlyArray<Limit>
  readonly source: LimitsSource
  /** The entity's parent as stored with it (`undefined` for a root or an entity with nothing stored). */
  readonly parent: string | undefined
}

/**
 * What the store holds for the three levels (`undefined`: nothing stored there).
 *
 * @since 0.1.0
 * @category models
 */
export interface Levels {
  readonly entity: EntitySettings | undefined
  readonly resource: ReadonlyArray<Limit> | undefined
  readonly system: ReadonlyArray<Limit> | undefined
}

/**
 * Pick the limits of `entity` calling `resource` from what is stored at each level.
 *
 * @since 0.1.0
 * @category resolution
 */
export const resolveLevels = (entity: string, resource: string, levels: Levels): Resolved => {
  const overrides = levels.entity?.limits
  const [limits, source]: readonly [ReadonlyArray<Limit>, LimitsSource] = overrides?.[resource] !== undefined
    ? [overrides[resource], "entity"]
    : overrides?.[ANY_RESOURCE] !== undefined
    ? [overrides[ANY_RESOURCE], "entityDefault"]
    : levels.resource !== undefined
    ? [levels.resource, "resource"]
    : levels.system !== undefined
    ? [levels.system, "system"]
    : [[], "none"]
  return { entity, resource, limits, source, parent: levels.entity?.parent }
}
