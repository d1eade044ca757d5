/**
 * Errors of the limits store and resolver.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The limits store could not be read or written. `reason`: `"unavailable"` (the backend did not
 * answer), `"misconfigured"` (the backend does not fit its deployment, e.g. a standalone Redis client
 * on a cluster node), `"corrupt"` (a stored value does not decode; `key` names it). Never carries a URL or password.
 *
 * @since 0.1.0
 * @category errors
 */
export class LimitsStoreError extends Schema.TaggedError<LimitsStoreError>()("LimitsStoreError", {
  operation: Schema.String,
  reason: Schema.Literal("unavailable", "misconfigured", "corrupt"),
  detail: Schema.String
}) {
  override get message(): string {
    return `limits store ${this.operation} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * A conditional write found another value than the one it was planned against (someone changed it
 * in between); nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class LimitsConflict extends Schema.TaggedError<LimitsConflict>()("LimitsConflict", {
  key: Schema.String
}) {
  override get message(): string {
    return `${this.key} changed since it was read; nothing was written (plan again)`
  }
}

/**
 * An entry refused before it reached the store (an empty name, an entity that is its own parent).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidLimitsEntry extends Schema.TaggedError<InvalidLimitsEntry>()("InvalidLimitsEntry", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid limits entry ${this.key}: ${this.reason}`
  }
}

/**
 * The parents of an entity loop, or go deeper than the supported depth; `chain` lists the ids walked.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidHierarchy extends Schema.TaggedError<InvalidHierarchy>()("InvalidHierarchy", {
  chain: Schema.Array(Schema.String),
  reason: Schema.Literal("cycle", "tooDeep")
}) {
  override get message(): string {
    return `entity hierarchy ${this.chain.join(" > ")}: ${this.reason === "cycle" ? "parents loop" : "deeper than supported"}`
  }
}

/**
 * An option of a limits store (`Limits.makeMemory`, `makeLimitsStore` of `effect-governor/redis`, their
 * layers) was invalid: `field` names it (`"auditCapacity"`), `reason` says what was expected.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidLimitsStoreOptions extends Schema.TaggedError<InvalidLimitsStoreOptions>()("InvalidLimitsStoreOptions", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid limits store option "${this.field}": ${this.reason}`
  }
}
