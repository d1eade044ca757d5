/**
 * Pieces every breaker implementation shares (the local one and the one shared through Redis): the
 * refusal error, the permit whose result is recorded once, and the duration options' check.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Effect, Either } from "effect"
import type * as Exit from "effect/Exit"
import { MAX_REQUEST_WAIT } from "../internal/bounds.js"
import { anyDurationUpTo, decodeValue } from "../internal/schema.js"
import { CircuitOpenError, InvalidCircuitBreakerOptions } from "./errors.js"
import type * as Machine from "./machine.js"

/** @internal */
export const openError = (name: string, admission: Extract<Machine.Admission, { _tag: "Rejected" }>, now: number) =>
  new CircuitOpenError({
    name,
    state: admission.state,
    halfOpenAt: admission.halfOpenAt,
    remaining: Duration.millis(Math.max(0, admission.halfOpenAt - now))
  })

/** A permit for an admitted ticket: its result is recorded once, whichever of its methods reports it. */
export const permitFor = <T extends { readonly probe: boolean }>(
  ticket: T,
  record: (verdict: Machine.Verdict, ticket: T) => Effect.Effect<void>,
  classify: (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict
) => {
  let reported = false
  const once = (verdict: Machine.Verdict) =>
    Effect.suspend(() => {
      if (reported) return Effect.void
      reported = true
      return record(verdict, ticket)
    })
  return { probe: ticket.probe, record: once, recordExit: (exit: Exit.Exit<unknown, unknown>) => once(classify(exit)) }
}

/** A duration option in milliseconds, from 0 (or more than 0 when `minMs` is 1) to `MAX_REQUEST_WAIT`, or the error naming it. */
export const durationMillis = (
  field: string,
  value: Duration.DurationInput | undefined,
  fallbackMs: number,
  minMs: 0 | 1
): Either.Either<number, InvalidCircuitBreakerOptions> =>
  value === undefined
    ? Either.right(fallbackMs)
    : Either.map(
      decodeValue(
        anyDurationUpTo(MAX_REQUEST_WAIT, { positive: minMs > 0 }),
        (_, reason) => new InvalidCircuitBreakerOptions({ field, reason })
      )(value),
      Duration.toMillis
    )
