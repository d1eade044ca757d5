/**
 * The schema of the retry policy's options, which `RetryPolicy.make` decodes (every bad value fails
 * with `InvalidRetryPolicy` naming the field), and the field schemas the config's retry section shares.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, ParseResult, Predicate, Schema } from "effect"
import { MAX_BACKOFF_MULTIPLIER, MAX_REQUEST_WAIT, MAX_RETRIES } from "../internal/bounds.js"
import { formatDuration } from "../internal/duration.js"
import { anyDurationUpTo, FunctionOption, intBetween, numberBetween, StatusList } from "../internal/schema.js"
import type { Jitter } from "./backoff.js"
import type { RetryDecision, RetryOutcome } from "./RetryPolicy.js"

/**
 * Retries after the first attempt: 0 to `MAX_RETRIES`. The config's retry section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const RetryCount = intBetween(0, MAX_RETRIES)

/**
 * Growth factor of the backoff: 1 to `MAX_BACKOFF_MULTIPLIER`. The config's retry section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const Multiplier = numberBetween(1, MAX_BACKOFF_MULTIPLIER)

/**
 * The jitter modes (see `Jitter`). The config's retry section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const JitterMode: Schema.Schema<Jitter> = Schema.Literal("none", "full", "proportional")

/**
 * `"none"` or `"generate"` (an `Idempotency-Key` for POST/PATCH). The config's retry section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const IdempotencyKeyMode = Schema.Literal("none", "generate")

/** Defaults the cross-field check needs (`RetryPolicy.defaults` holds them too). */
export const DEFAULT_INITIAL_DELAY = Duration.millis(250)
export const DEFAULT_MAX_DELAY = Duration.seconds(30)

/** A wait of the options: any `Duration.DurationInput` from 0 to `MAX_REQUEST_WAIT`. */
const Wait = anyDurationUpTo(MAX_REQUEST_WAIT)

/** `retryOnStatus` is any iterable of statuses (an array, a `Set`), checked as a list. */
const StatusIterable = Schema.transformOrFail(Schema.Unknown, StatusList, {
  strict: true,
  decode: (input, _, ast) =>
    Predicate.isIterable(input) && typeof input !== "string"
      ? ParseResult.succeed(Array.from(input) as ReadonlyArray<number>)
      : ParseResult.fail(new ParseResult.Type(ast, input, `Expected a list of HTTP error status codes, got ${String(input)}`)),
  encode: ParseResult.succeed
})

/** `maxAttempts` is `maxRetries + 1`; given both, they must agree. */
const attemptsCheck = (o: { readonly maxRetries?: number | undefined; readonly maxAttempts?: number | undefined }) =>
  o.maxAttempts === undefined || o.maxRetries === undefined || o.maxRetries === o.maxAttempts - 1
    ? undefined
    : {
      path: ["maxAttempts"],
      message: `maxAttempts (${o.maxAttempts}) counts the first attempt and must equal maxRetries + 1 (${
        o.maxRetries + 1
      }); give only one of them`
    }

/**
 * The cross-field rule of options and config alike: a backoff starts at most at its cap.
 *
 * @since 0.1.0
 * @internal
 */
export const delayOrderCheck = (initial: Duration.Duration, max: Duration.Duration): Schema.FilterOutput =>
  Duration.lessThanOrEqualTo(initial, max)
    ? true
    : { path: ["maxDelay"], message: `maxDelay (${formatDuration(max)}) must be >= initialDelay (${formatDuration(initial)})` }

/**
 * The schema `RetryPolicy.make` decodes its options with. The config's section shares its counts,
 * multiplier, jitter, statuses and idempotency mode; its durations are the JSON forms of the same bounds
 * (and `totalBudget` must be more than 0 there), both kept as they were (issue 14).
 *
 * @since 0.1.0
 */
export const RetryPolicyOptionsSchema = Schema.Struct({
  maxRetries: Schema.optional(RetryCount),
  maxAttempts: Schema.optional(intBetween(1, MAX_RETRIES + 1)),
  initialDelay: Schema.optional(Wait),
  maxDelay: Schema.optional(Wait),
  multiplier: Schema.optional(Multiplier),
  jitter: Schema.optional(JitterMode),
  jitterFraction: Schema.optional(numberBetween(0, 1)),
  totalBudget: Schema.optional(Wait),
  retryOnStatus: Schema.optional(StatusIterable),
  retryOnTransport: Schema.optional(Schema.Boolean),
  respectRetryAfter: Schema.optional(Schema.Boolean),
  maxRetryAfter: Schema.optional(Wait),
  retryNonIdempotent: Schema.optional(Schema.Boolean),
  idempotencyKey: Schema.optional(IdempotencyKeyMode),
  decide: Schema.optional(FunctionOption<(outcome: RetryOutcome, attempt: number) => RetryDecision>())
}).pipe(
  Schema.filter((o) =>
    attemptsCheck(o) ?? delayOrderCheck(o.initialDelay ?? DEFAULT_INITIAL_DELAY, o.maxDelay ?? DEFAULT_MAX_DELAY)
  )
)
