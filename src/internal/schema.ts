/**
 * Schema building blocks shared by every config-shaped value in the library.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Either, ParseResult, Schema } from "effect"

/** A finite number strictly greater than zero (rejects NaN and Infinity). */
export const PositiveFinite = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n > 0, {
    message: (issue) => `Expected a finite number greater than 0, got ${String(issue.actual)}`
  })
)

/** A finite number >= 0. */
export const NonNegativeFinite = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 0, {
    message: (issue) => `Expected a finite number >= 0, got ${String(issue.actual)}`
  })
)

/** A fraction in (0, 1]. */
export const Fraction = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n > 0 && n <= 1, {
    message: (issue) => `Expected a number in (0, 1], got ${String(issue.actual)}`
  })
)

export const NonEmptyTrimmedString = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "Expected a non-empty string" })
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
      const parsed = typeof input === "number"
        ? (Number.isFinite(input) && input >= 0 ? Either.right(Duration.millis(input)) : Either.left(undefined))
        : Either.fromOption(Duration.decodeUnknown(input.trim()), () => undefined)
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

/** A duration strictly greater than zero. */
export const PositiveDuration = DurationInput.pipe(
  Schema.filter((d) => Duration.toMillis(d) > 0 && Duration.isFinite(d), {
    message: () => "Expected a finite duration greater than zero"
  })
)
