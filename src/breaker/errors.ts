/**
 * Tagged errors of the circuit breaker.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/**
 * The breaker refused the call. `state` is `"open"` (calls resume at `halfOpenAt`, epoch ms, in
 * `remaining`) or `"half-open"` (every probe slot is taken; `remaining` is zero: try again soon).
 *
 * @since 0.1.0
 * @category errors
 */
export class CircuitOpenError extends Schema.TaggedError<CircuitOpenError>()("CircuitOpenError", {
  name: Schema.String,
  state: Schema.Literal("open", "half-open"),
  /** Epoch ms when the breaker lets a probe through. */
  halfOpenAt: Schema.Number,
  remaining: Schema.DurationFromSelf
}) {
  /** Alias of `remaining`, matching `RateLimitExceeded.retryAfter`. */
  get retryAfter(): Duration.Duration {
    return this.remaining
  }

  override get message(): string {
    return this.state === "open"
      ? `Circuit "${this.name}" is open; half-open in ${Duration.format(this.remaining)}`
      : `Circuit "${this.name}" is half-open and every probe slot is in use`
  }
}

/**
 * A circuit breaker option was out of range; `field` names it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCircuitBreakerOptions
  extends Schema.TaggedError<InvalidCircuitBreakerOptions>()("InvalidCircuitBreakerOptions", {
    field: Schema.String,
    reason: Schema.String
  })
{
  override get message(): string {
    return `Invalid circuit breaker option "${this.field}": ${this.reason}`
  }
}
