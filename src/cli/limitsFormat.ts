/**
 * Text of the `limits` commands: plans, field diffs, entity settings, resolutions, audit events (pure).
 *
 * @since 0.1.0
 */
import type { AuditEvent } from "../limits/audit.js"
import type { Entry, Target } from "../limits/model.js"
import { type Change, fieldDiff } from "../limits/plan.js"
import type { Resolved } from "../limits/resolve.js"
import { describeLimit, table } from "./format.js"

const SIGN = { create: "+", update: "~", delete: "-" } as const

/**
 * `entity user-42`, `resource openai`, `system`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const describeTarget = (target: Target): string => (target.kind === "system" ? "system default" : `${target.kind} ${target.name}`)

/**
 * One line per change (`+ entity user-42`), then, with `fields`, each changed field indented.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderChanges = (changes: ReadonlyArray<Change>, options: { readonly fields: boolean }): string =>
  changes.map((c) =>
    [
      `${SIGN[c.action]} ${describeTarget(c.target)}`,
      ...(options.fields ? fieldDiff(c.before, c.after).map((d) => `    ${d.path}: ${d.before ?? "(none)"} -> ${d.after ?? "(none)"}`) : [])
    ].join("\n")
  ).join("\n")

/**
 * `3 changes pending (1 create, 1 update, 1 delete)`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summary = (changes: ReadonlyArray<Change>, verb: string): string => {
  const count = (action: Change["action"]) => changes.filter((c) => c.action === action).length
  const parts = (["create", "update", "delete"] as const).filter((a) => count(a) > 0).map((a) => `${count(a)} ${a}`)
  return `${changes.length} change${changes.length === 1 ? "" : "s"} ${verb} (${parts.join(", ")})`
}

/**
 * An entity's stored settings (or that none are stored) and its resolution per resource, with the
 * level that applied for the entity and each ancestor.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderEntity = (id: string, stored: Entry | undefined, chains: ReadonlyArray<ReadonlyArray<Resolved>>): string => {
  const settings = stored?.kind === "entity" ? stored.settings : undefined
  const lines = [
    `entity ${id}${settings === undefined ? " (nothing stored)" : ""}`,
    ...(settings?.parent !== undefined ? [`  parent: ${settings.parent}`] : []),
    ...Object.entries(settings?.limits ?? {}).map(([resource, limits]) => `  overrides ${resource}: ${limits.map(describeLimit).join("; ") || "(no limits)"}`)
  ]
  const rows = chains.flatMap((chain) =>
    chain.map((r) => [r.resource, r.entity, r.source, r.limits.length === 0 ? "(none)" : r.limits.map(describeLimit).join("; ")])
  )
  return rows.length === 0 ? lines.join("\n") : `${lines.join("\n")}\n\n${table(["RESOURCE", "LEVEL OF", "FROM", "LIMITS"], rows)}`
}

/**
 * One event: when, what, who, then each changed field.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderEvent = (event: AuditEvent): string =>
  [
    `${new Date(event.at).toISOString()}  ${event.action} ${describeTarget(event.target)}  by ${event.source}  (${event.id})`,
    ...fieldDiff(event.before, event.after).map((d) => `    ${d.path}: ${d.before ?? "(none)"} -> ${d.after ?? "(none)"}`)
  ].join("\n")

/**
 * An event as one JSON line (stored texts parsed back to JSON).
 *
 * @since 0.1.0
 * @category formatting
 */
export const eventJson = (event: AuditEvent): string =>
  JSON.stringify({
    ...event,
    before: event.before === undefined ? null : JSON.parse(event.before),
    after: event.after === undefined ? null : JSON.parse(event.after)
  })
