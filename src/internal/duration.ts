/**
 * Strict decoding of a `Duration.DurationInput`. Effect's `Duration.decodeUnknown` turns `-1`, `NaN`,
 * `"-5 seconds"` and negative nanoseconds into a zero duration, which silently means "don't wait"
 * (`maxWait: -1`) or "no spacing"; options must refuse them instead.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Option } from "effect"

const isNonNegative = (n: unknown): boolean => typeof n === "number" && !Number.isNaN(n) && n >= 0

/**
 * The duration `input` denotes, or `None` when it is not a duration or is negative or NaN in any of its
 * forms (number of millis, bigint nanos, `[seconds, nanos]`, `"<n> <unit>"`). `Infinity` is kept: it is
 * the explicit "no limit".
 *
 * @internal
 */
export const decodeDuration = (input: unknown): Option.Option<Duration.Duration> => {
  if (Duration.isDuration(input)) return Option.some(input)
  if (typeof input === "number") return isNonNegative(input) ? Option.some(Duration.millis(input)) : Option.none()
  if (typeof input === "bigint") return input >= BigInt(0) ? Option.some(Duration.nanos(input)) : Option.none()
  if (Array.isArray(input)) {
    return input.length === 2 && input.every(isNonNegative) && input.every(Number.isFinite)
      ? Duration.decodeUnknown(input)
      : Option.none()
  }
  if (typeof input === "string") {
    const text = input.trim()
    return text.startsWith("-") ? Option.none() : Duration.decodeUnknown(text)
  }
  return Option.none()
}

/**
 * `Duration.format` of a value an error message shows (a schema's `issue.actual`: a `Duration`, or the
 * input as given). Effect's throws a `RangeError` for millis whose nanoseconds overflow a double
 * (`1.8e302`), which turned a bad option into a defect while its message was written: those show as
 * millis, and what is no duration at all as given.
 *
 * @internal
 */
export const formatDuration = (input: unknown): string =>
  Option.match(decodeDuration(input), {
    onNone: () => JSON.stringify(String(input)),
    onSome: (d) =>
      d.value._tag === "Millis" && !Number.isFinite(d.value.millis * 1_000_000) ? `${d.value.millis} millis` : Duration.format(d)
  })
