/**
 * Apply planned changes to a store: each entry in one atomic conditional write (it fails with
 * `LimitsConflict` if the entry changed since the plan was made, leaving the later ones unwritten).
 * Applying the same file twice writes nothing the second time.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AuditEvent } from "./audit.js"
import type { InvalidLimitsEntry, LimitsConflict, LimitsStoreError } from "./errors.js"
import { LimitsStore } from "./LimitsStore.js"
import type { Entry } from "./model.js"
import { type Change, plan } from "./plan.js"

/**
 * Write `changes` in order, tagged with `source`; the audit events written.
 *
 * @since 0.1.0
 * @category applying
 */
export const applyChanges = (
  changes: ReadonlyArray<Change>,
  source: string
): Effect.Effect<ReadonlyArray<AuditEvent>, LimitsStoreError | LimitsConflict | InvalidLimitsEntry, LimitsStore> =>
  Effect.flatMap(LimitsStore, (store) =>
    Effect.map(
      Effect.forEach(changes, (change) => {
        const options = { source, expected: { text: change.before } }
        return change.entry === undefined ? store.remove(change.target, options) : store.put(change.entry, options)
      }),
      (events) => events.flatMap((e) => (e._tag === "Some" ? [e.value] : []))
    ))

/**
 * Plan `desired` against the store now, and apply it.
 *
 * @since 0.1.0
 * @category applying
 */
export const apply = (
  desired: ReadonlyArray<Entry>,
  options: { readonly source: string; readonly prune?: boolean | undefined }
): Effect.Effect<ReadonlyArray<AuditEvent>, LimitsStoreError | LimitsConflict | InvalidLimitsEntry, LimitsStore> =>
  Effect.flatMap(LimitsStore, (store) =>
    Effect.flatMap(store.texts, (current) => applyChanges(plan(desired, current, { prune: options.prune }), options.source)))
