/**
 * How an admission's keys derive from its entity and resource: `user-42@openai` for the limiter key of
 * (entity, resource) (`%` and `@` percent-encoded in either part, so two pairs never share a key), and
 * usage labels `["openai","rpm"]` (JSON: unambiguous whatever the names hold). Pure.
 *
 * @since 0.1.0
 */
import type { LimitSet } from "../limiter/request.js"

const escape = (s: string): string => s.replace(/%/g, "%25").replace(/@/g, "%40")

/**
 * The limiter key of `entity` calling `resource`.
 *
 * @since 0.1.0
 * @category keys
 */
export const levelKey = (entity: string, resource: string): string => `${escape(entity)}@${escape(resource)}`

/**
 * The usage label of one limit of `resource`.
 *
 * @since 0.1.0
 * @category keys
 */
export const usageLabel = (resource: string, limit: string): string => JSON.stringify([resource, limit])

/**
 * The resource and limit of a usage label, or `undefined` for a label this module did not write.
 *
 * @since 0.1.0
 * @category keys
 */
export const parseLabel = (label: string): { readonly resource: string; readonly limit: string } | undefined => {
  try {
    const parsed: unknown = JSON.parse(label)
    return Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string"
      ? { resource: parsed[0], limit: parsed[1] }
      : undefined
  } catch {
    return undefined
  }
}

const labelCache = new WeakMap<LimitSet, Map<string, ReadonlyArray<string>>>()

/**
 * The usage labels of `set`'s limits for `resource` (cached).
 *
 * @since 0.1.0
 * @category keys
 */
export const labelsOf = (set: LimitSet, resource: string): ReadonlyArray<string> => {
  let byResource = labelCache.get(set)
  if (byResource === undefined) {
    byResource = new Map()
    labelCache.set(set, byResource)
  }
  let labels = byResource.get(resource)
  if (labels === undefined) {
    if (byResource.size >= 1000) byResource.clear()
    labels = set.names.map((name) => usageLabel(resource, name))
    byResource.set(resource, labels)
  }
  return labels
}
