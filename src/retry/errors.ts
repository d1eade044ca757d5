/**
 * Tagged errors of the retry module.
 *
 * @since 0.1.0
 */
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import { Data, Duration, Schema } from "effect"
import { formatDuration } from "../internal/duration.js"

/**
 * A retry policy option was out of range. `field` names the option, `reason` says what was expected.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRetryPolicy extends Schema.TaggedError<InvalidRetryPolicy>()("InvalidRetryPolicy", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid retry policy option "${this.field}": ${this.reason}`
  }
}

/**
 * Why retrying stopped although the last outcome was retryable.
 * - `"MaxRetries"`: every allowed retry was spent
 * - `"Budget"`: the next wait would have overrun `totalBudget`
 *
 * @since 0.1.0
 */
export type ExhaustedReason = "MaxRetries" | "Budget"

/**
 * Retries ran out while the outcome was still retryable (a status in the retry set, or a
 * transient transport error).
 *
 * `attempts` counts every attempt made, the first included. `delays` are the waits taken
 * between them (`attempts - 1` entries). `retryAfter` is the last `Retry-After` the server sent,
 * if any. `lastResponse` / `lastError` hold the final outcome so the caller can still read it.
 * `url` is redacted by the redaction in effect (`Redaction`: userinfo, known secrets and patterns
 * masked), then every query value is masked and the fragment dropped: a parameter the redactor does
 * not know by name may still be a credential. The path and the parameter names stay readable.
 *
 * @since 0.1.0
 * @category errors
 */
export class RetriesExhausted<E = unknown> extends Data.TaggedError("RetriesExhausted")<{
  readonly reason: ExhaustedReason
  readonly attempts: number
  readonly lastStatus: number | undefined
  readonly delays: ReadonlyArray<Duration.Duration>
  readonly retryAfter: Duration.Duration | undefined
  readonly method: string
  readonly url: string
  readonly lastResponse: HttpClientResponse | undefined
  readonly lastError: E | undefined
}> {
  override get message(): string {
    const last = this.lastStatus !== undefined
      ? `last status ${this.lastStatus}`
      : `last error ${describe(this.lastError)}`
    const why = this.reason === "Budget" ? "retry budget spent" : "no retries left"
    const ra = this.retryAfter === undefined ? "" : `; server asked to retry after ${formatDuration(this.retryAfter)}`
    return `${this.method} ${this.url} failed after ${this.attempts} attempt(s) (${why}; ${last}${ra})`
  }
}

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "unknown"
