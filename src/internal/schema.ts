/**
 * Schema building blocks shared by every config-shaped value in the library.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Either, Option, ParseResult, Schema } from "effect"
import { isErrorStatus, MAX_ERROR_STATUS, MIN_ERROR_STATUS } from "./bounds.js"
import { decodeDuration, formatDuration } from "./duration.js"
import { isHeaderName } from "./headerSyntax.js"

/** A fraction in (0, 1]. */
export const Fraction = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n > 0 && n <= 1, {
    message: (issue) => `Expected a number in (0, 1], got ${String(issue.actual)}`
  })
)

export const NonEmptyTrimmedString = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "Expected a non-empty string" })
)

/** An HTTP header name (a token: letters, digits, `-`, ...). */
export const HeaderName = Schema.String.pipe(
  Schema.filter((s) => isHeaderName(s), {
    message: (issue) => `Expected an HTTP header name (letters, digits, "-"...), got ${JSON.stringify(issue.actual)}`
  })
)

/**
 * A duration as users write it in JSON or env vars: a number of milliseconds or a string such as
 * `"1 minute"` / `"250 millis"`. Decodes to a `Duration`; encodes back to milliseconds.
 */
export const DurationInput = Schema.transformOrFail(
  Schema.Union(Schema.Number, Schema.String),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const parsed = typeof input === "number" && !Number.isFinite(input)
        ? Either.left(undefined)
        : Either.fromOption(decodeDuration(input), () => undefined)
      return Either.match(parsed, {
        onLeft: () =>
          ParseResult.fail(
            new ParseResult.Type(
              ast,
              input,
              `Expected a duration: milliseconds >= 0 or a string like "1 minute", got ${JSON.stringify(input)}`
            )
          ),
        onRight: ParseResult.succeed
      })
    },
    encode: (d) => ParseResult.succeed(Duration.toMillis(d))
  }
).annotations({ identifier: "DurationInput" })

/**
 * A number in `[min, max]` (or `(min, max]` with `minExclusive`); rejects NaN and Infinity. `unit` follows the
 * bounds in the message ("requests/s"); `minText` shows `min` in a readable form ("1/86400").
 */
export const numberBetween = (
  min: number,
  max: number,
  options: { readonly minExclusive?: boolean; readonly unit?: string; readonly minText?: string } = {}
) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && (options.minExclusive === true ? n > min : n >= min) && n <= max, {
      message: (issue) =>
        `Expected a number ${options.minExclusive === true ? "greater than" : ">="} ${options.minText ?? min} and at most ${max}${
          options.unit === undefined ? "" : ` ${options.unit}`
        }, got ${String(issue.actual)}`
    })
  )

/** A whole number >= 1 (a count: keys, workers). */
export const WholeNumber = Schema.Number.pipe(
  Schema.filter((n) => Number.isSafeInteger(n) && n >= 1, {
    message: (issue) => `Expected a whole number >= 1, got ${String(issue.actual)}`
  })
)

/** An HTTP error status (400-599): retrying, or slowing down on, a success (`[200]`) is always a mistake. */
export const ErrorStatus = Schema.Number.pipe(
  Schema.filter(isErrorStatus, {
    message: (issue) =>
      `Expected an HTTP error status code (${MIN_ERROR_STATUS}-${MAX_ERROR_STATUS}), got ${String(issue.actual)}`
  })
)

/** A list of error statuses (the retry policy's `retryOnStatus`, the adaptive `backoffStatuses`). */
export const StatusList = Schema.Array(ErrorStatus)

/** A whole number in `[min, max]`. */
export const intBetween = (min: number, max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isSafeInteger(n) && n >= min && n <= max, {
      message: (issue) => `Expected a whole number from ${min} to ${max}, got ${String(issue.actual)}`
    })
  )

/** `base` bounded to at most `max`, and greater than zero when `positive` (else >= 0). */
const boundedDuration = <I, R>(
  base: Schema.Schema<Duration.Duration, I, R>,
  max: Duration.Duration,
  options: { readonly positive?: boolean } = {}
) =>
  base.pipe(
    Schema.filter((d) => (options.positive === true ? Duration.toMillis(d) > 0 : true) && Duration.lessThanOrEqualTo(d, max), {
      message: (issue) =>
        // `actual` is the input as given (millis, "36500 days"…), or no duration at all when the base schema failed.
        `Expected a duration ${options.positive === true ? "greater than 0" : ">= 0"} and at most ${Duration.format(max)}, got ${
          formatDuration(issue.actual)
        }`
    })
  )

/** A duration as JSON writes it (see `DurationInput`) of at most `max`, and greater than zero when `positive`. */
export const durationUpTo = (max: Duration.Duration, options: { readonly positive?: boolean } = {}) =>
  boundedDuration(DurationInput, max, options)

/**
 * Any `Duration.DurationInput` (a `Duration`, millis, `"1 minute"`, bigint nanos, `[s, ns]`). One
 * schema over every form (not a union): a bad value gets one message, not one per union member.
 */
export const AnyDuration = Schema.transformOrFail(Schema.Unknown, Schema.DurationFromSelf, {
  strict: true,
  decode: (input, _, ast) =>
    Option.match(decodeDuration(input), {
      // Says ">= 0": `-1` or `"-5 seconds"` land here, and they read as durations to the user.
      onNone: () =>
        ParseResult.fail(
          new ParseResult.Type(
            ast,
            input,
            `Expected a duration >= 0 (milliseconds, "5 seconds", a Duration, bigint nanoseconds or [seconds, nanos]), got ${
              JSON.stringify(String(input))
            }`
          )
        ),
      onSome: ParseResult.succeed
    }),
  encode: ParseResult.succeed
})

/** Any `Duration.DurationInput` of at most `max`, and greater than zero when `positive`: an option's bound. */
export const anyDurationUpTo = (max: Duration.Duration, options: { readonly positive?: boolean } = {}) =>
  boundedDuration(AnyDuration, max, options)

/** A non-empty name shown in errors and snapshots. */
export const OptionName = Schema.String.pipe(Schema.filter((s) => s.length > 0, { message: () => "expected a non-empty string" }))

/** A function-valued option (a classifier, a callback): checked only for being a function. */
export const FunctionOption = <F extends (...args: ReadonlyArray<never>) => unknown>() =>
  Schema.declare((u: unknown): u is F => typeof u === "function", { message: () => "expected a function" })

/**
 * A decoder of a value that fails with `onError(field, reason)`: `field` names the option of the
 * first bad value (`"windowSize"`, `"policy.cacheableStatuses"`), `reason` is its schema's message,
 * led by the item's index when the value is in a list (`"item 1: Expected ..."`): an index is not an
 * option's name. A union reports one issue per member (`throttle: false | { threshold }`): the
 * deepest names the value that was wrong (`throttle.threshold`), not the member it was not.
 */
export const decodeValue = <A, I, E>(
  schema: Schema.Schema<A, I, never>,
  onError: (field: string, reason: string) => E
) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (input: unknown): Either.Either<A, E> =>
    Either.mapLeft(decode(input), (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error).reduce<ParseResult.ArrayFormatterIssue | undefined>(
        (deepest, i) => (deepest === undefined || i.path.length > deepest.path.length ? i : deepest),
        undefined
      )
      const path = issue?.path ?? []
      const names = path.filter((p) => typeof p !== "number").map(String)
      const items = path.filter((p) => typeof p === "number")
      const message = issue?.message ?? error.message
      return onError(
        names.length === 0 ? "options" : names.join("."),
        items.length === 0 ? message : `item ${items.join(".")}: ${message}`
      )
    })
}

const kindOf = (input: unknown): string => input === null ? "null" : Array.isArray(input) ? "an array" : typeof input

/**
 * `decodeValue` of an options object (`undefined` is left to the schema): anything else that is not
 * an object fails naming that, not with the schema's default message listing every field.
 */
export const decodeOptions = <A, I, E>(
  schema: Schema.Schema<A, I, never>,
  onError: (field: string, reason: string) => E
) => {
  const decode = decodeValue(schema, onError)
  return (input: unknown): Either.Either<A, E> =>
    input === null || Array.isArray(input) || (input !== undefined && typeof input !== "object")
      ? Either.left(onError("options", `expected an options object, got ${kindOf(input)}`))
      : decode(input)
}
