/**
 * Tagged errors of the bulkhead and the timeouts.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { formatDuration } from "../internal/duration.js"

/**
 * Every slot is busy and the wait queue is full: the call was refused at once.
 *
 * @since 0.1.0
 * @category errors
 */
export class BulkheadFull extends Schema.TaggedError<BulkheadFull>()("BulkheadFull", {
  name: Schema.String,
  maxConcurrent: Schema.Number,
  maxQueue: Schema.Number
}) {
  override get message(): string {
    return `Bulkhead "${this.name}" is full: ${this.maxConcurrent} in flight and ${this.maxQueue} waiting`
  }
}

/**
 * A bulkhead option was out of range; `field` names it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidBulkheadOptions extends Schema.TaggedError<InvalidBulkheadOptions>()("InvalidBulkheadOptions", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid bulkhead option "${this.field}": ${this.reason}`
  }
}

/**
 * One attempt took longer than its timeout and was interrupted. Retry policies treat it as a
 * transient transport failure; circuit breakers count it as a failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class AttemptTimeout extends Schema.TaggedError<AttemptTimeout>()("AttemptTimeout", {
  timeout: Schema.DurationFromSelf
}) {
  override get message(): string {
    return `Attempt timed out after ${formatDuration(this.timeout)}`
  }
}

/**
 * The overall deadline of an operation (limiter waits, attempts, retries and backoff together)
 * passed; the operation was interrupted. Not retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>()("DeadlineExceeded", {
  deadline: Schema.DurationFromSelf
}) {
  override get message(): string {
    return `Deadline of ${formatDuration(this.deadline)} exceeded`
  }
}
