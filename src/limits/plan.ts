/**
 * Plan: what applying a limits file would change in a store (pure), and the field-level differences
 * of one change, for `limits plan` / `diff` / `apply`.
 *
 * @since 0.1.0
 */
import { type AuditAction, actionOf } from "./audit.js"
import { encodeEntry, type Entry, keyOf, parseKey, type Target, targetOf } from "./model.js"

/**
 * One change: `entry` is what to store (`undefined`: delete), `before`/`after` the stored texts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Change {
  readonly key: string
  readonly target: Target
  readonly action: AuditAction
  readonly before: string | undefined
  readonly after: string | undefined
  readonly entry: Entry | undefined
}

const rank = (target: Target): number => (target.kind === "system" ? 0 : target.kind === "resource" ? 1 : 2)

/** Depth of each declared entity (a root is 0), so parents are written before their children. */
const depths = (desired: ReadonlyArray<Entry>): ReadonlyMap<string, number> => {
  const parents = new Map(desired.flatMap((e) => (e.kind === "entity" ? [[e.name, e.settings.parent] as const] : [])))
  const depth = (id: string, seen: number): number => {
    const parent = parents.get(id)
    return parent === undefined || seen > parents.size ? 0 : 1 + depth(parent, seen + 1)
  }
  return new Map([...parents.keys()].map((id) => [id, depth(id, 0)]))
}

/**
 * The changes that make `current` (stored texts by key) hold `desired`: creates and updates in an
 * order where the system default and resources come first and every parent before its children;
 * with `prune`, deletes of what the store holds and `desired` does not, last. Nothing for an entry
 * already stored with the same canonical text.
 *
 * @since 0.1.0
 * @category planning
 */
export const plan = (
  desired: ReadonlyArray<Entry>,
  current: ReadonlyMap<string, string>,
  options: { readonly prune?: boolean | undefined } = {}
): ReadonlyArray<Change> => {
  const depth = depths(desired)
  const level = (e: Entry) => rank(targetOf(e)) * 1000 + (e.kind === "entity" ? depth.get(e.name) ?? 0 : 0)
  const wanted = new Set<string>()
  const writes = [...desired]
    .sort((a, b) => level(a) - level(b) || (keyOf(targetOf(a)) < keyOf(targetOf(b)) ? -1 : 1))
    .flatMap((entry): Array<Change> => {
      const key = keyOf(targetOf(entry))
      wanted.add(key)
      const before = current.get(key)
      const after = encodeEntry(entry)
      const action = actionOf(before, after)
      return action === undefined ? [] : [{ key, target: targetOf(entry), action, before, after, entry }]
    })
  const deletes = options.prune !== true ? [] : [...current]
    .filter(([key]) => !wanted.has(key) && parseKey(key) !== undefined)
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([key, before]): Change => ({ key, target: parseKey(key)!, action: "delete", before, after: undefined, entry: undefined }))
  return [...writes, ...deletes]
}

/**
 * One field that differs: its path (limits by name: `limits.openai[rpm].capacity`), and its value
 * before and after as JSON (`undefined`: absent).
 *
 * @since 0.1.0
 * @category models
 */
export interface FieldDiff {
  readonly path: string
  readonly before: string | undefined
  readonly after: string | undefined
}

const flatten = (value: unknown, path: string, out: Map<string, string>): Map<string, string> => {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const name = typeof item === "object" && item !== null && "name" in item ? String(item.name) : String(i)
      flatten(item, `${path}[${name}]`, out)
    })
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) if (k !== "name") flatten(v, path === "" ? k : `${path}.${k}`, out)
  } else {
    out.set(path, JSON.stringify(value))
  }
  return out
}

/**
 * The fields that differ between two stored texts, sorted by path. Pure.
 *
 * @since 0.1.0
 * @category planning
 */
export const fieldDiff = (before: string | undefined, after: string | undefined): ReadonlyArray<FieldDiff> => {
  const a = flatten(before === undefined ? {} : JSON.parse(before), "", new Map())
  const b = flatten(after === undefined ? {} : JSON.parse(after), "", new Map())
  return [...new Set([...a.keys(), ...b.keys()])].sort()
    .filter((path) => a.get(path) !== b.get(path))
    .map((path) => ({ path, before: a.get(path), after: b.get(path) }))
}
