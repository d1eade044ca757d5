/**
 * Validation of the pacing controls (`cooldown`, `setRate`) shared by every limiter store, so no
 * caller (the adaptive controller, or user code passing on what a server said) can pause a key for
 * longer than {@link MAX_PACING_MS} or pace it slower than one admission per that long. A cooldown
 * persisted in a shared store (Redis) would otherwise lock every process out.
 *
 * @since 0.1.0
 */
import { Duration, Either, Option } from "effect"
import { formatDuration } from "../internal/duration.js"
import { InvalidPacing } from "./errors.js"

/**
 * Longest pause `cooldown` accepts, and longest interval between two admissions `setRate` accepts:
 * 31 days. A monthly quota is the longest wait a server can mean; anything longer is a bug or an
 * attack, and is refused with `InvalidPacing` rather than obeyed.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PACING_MS = 31 * 86_400_000

/**
 * Slowest rate `setRate` accepts (requests per second): one per {@link MAX_PACING_MS}.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_PACING_RATE = 1000 / MAX_PACING_MS

/**
 * A cooldown duration in ms, in `[0, MAX_PACING_MS]` (a duration of 0 or less pauses nothing).
 *
 * @since 0.1.0
 * @category validation
 */
export const cooldownMillis = (key: string, duration: Duration.DurationInput): Either.Either<number, InvalidPacing> => {
  const d = Duration.decodeUnknown(duration)
  if (Option.isNone(d) || !Duration.isFinite(d.value)) {
    return Either.left(new InvalidPacing({ key, reason: `cooldown must be a finite duration, got ${String(duration)}` }))
  }
  const ms = Duration.toMillis(d.value)
  return ms > MAX_PACING_MS
    ? Either.left(new InvalidPacing({ key, reason: `cooldown ${formatDuration(d.value)} is longer than 31 days` }))
    : Either.right(Math.max(0, ms))
}

/**
 * A `setRate` request checked: a rate in `[MIN_PACING_RATE, ∞)` (or `null`, no pace) and a burst >= 1.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkRate = (
  key: string,
  rate: number | null,
  burst: number
): Either.Either<void, InvalidPacing> => {
  if (rate !== null && !(typeof rate === "number" && Number.isFinite(rate) && rate >= MIN_PACING_RATE)) {
    return Either.left(
      new InvalidPacing({
        key,
        reason: `rate must be a finite number of at least one request per 31 days (or null), got ${String(rate)}`
      })
    )
  }
  if (typeof burst !== "number" || !Number.isFinite(burst) || burst < 1) {
    return Either.left(new InvalidPacing({ key, reason: `burst must be a finite number >= 1, got ${String(burst)}` }))
  }
  return Either.void
}
