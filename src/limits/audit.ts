/**
 * Audit events: one per change to stored limits (who, what, before, after, when), kept bounded by
 * every store (a ring in memory, a capped stream in Redis). `before`/`after` are the canonical stored
 * JSON texts: limits and parents only, never a credential.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { decodeOptions, intBetween } from "../internal/schema.js"
import { InvalidLimitsStoreOptions } from "./errors.js"
import type { Target } from "./model.js"

/**
 * @since 0.1.0
 * @category models
 */
export type AuditAction = "create" | "update" | "delete"

/**
 * One change to stored limits.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditEvent {
  /** Store-assigned, increasing (a Redis stream id, or `<ms>-<seq>` in memory). */
  readonly id: string
  /** Epoch ms of the change, by the store's clock (Redis server time on Redis). */
  readonly at: number
  /** Who or what made the change (`"cli:apply limits.yaml"`, `"admin-api"`), as the writer gave it. */
  readonly source: string
  readonly target: Target
  readonly action: AuditAction
  /** Stored text before the change, `undefined` for a create. */
  readonly before: string | undefined
  /** Stored text after the change, `undefined` for a delete. */
  readonly after: string | undefined
}

/**
 * The action a change from `before` to `after` is (`undefined` when nothing changes). Pure.
 *
 * @since 0.1.0
 * @category models
 */
export const actionOf = (before: string | undefined, after: string | undefined): AuditAction | undefined =>
  before === after ? undefined : before === undefined ? "create" : after === undefined ? "delete" : "update"

/**
 * Which events to read: those of one target, the newest `limit` of them (all kept, by default).
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditQuery {
  readonly target?: Target | undefined
  readonly limit?: number | undefined
}

/**
 * The newest `limit` events of `events` (oldest first) matching `query`. Pure.
 *
 * @since 0.1.0
 * @category models
 */
export const selectEvents = (events: ReadonlyArray<AuditEvent>, query: AuditQuery = {}): ReadonlyArray<AuditEvent> => {
  const { target } = query
  const matching = target === undefined
    ? events
    : events.filter((e) => e.target.kind === target.kind && (target.kind === "system" || (e.target.kind !== "system" && e.target.name === target.name)))
  return query.limit === undefined ? matching : matching.slice(Math.max(0, matching.length - query.limit))
}

/**
 * Default number of audit events a store keeps.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_AUDIT_CAPACITY = 1000

/**
 * The options every limits store takes (memory and Redis), decoded: a bad one fails with an
 * `InvalidLimitsStoreOptions` naming it.
 *
 * @since 0.1.0
 * @internal
 */
export const decodeStoreOptions = decodeOptions(
  Schema.Struct({ auditCapacity: Schema.optionalWith(intBetween(1, 1_000_000), { default: () => DEFAULT_AUDIT_CAPACITY }) }),
  (field, reason) => new InvalidLimitsStoreOptions({ field, reason })
)
