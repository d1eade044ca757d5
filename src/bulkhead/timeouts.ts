/**
 * Timeouts: one per attempt (`AttemptTimeout`, retryable) and one deadline over a whole operation
 * (`DeadlineExceeded`, final). The deadline is also visible to the code it wraps (`remaining`),
 * so a limiter wait or a backoff can give up early instead of sleeping into certain failure.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, FiberRef, Option } from "effect"
import { dual } from "effect/Function"
import { AttemptTimeout, DeadlineExceeded } from "./errors.js"

export { AttemptTimeout, DeadlineExceeded } from "./errors.js"

/**
 * Fails with `AttemptTimeout` (and interrupts `self`) when `self` takes longer than `timeout`.
 * For an HTTP call this bounds the time to the response headers; reading the body is separate.
 *
 * @example
 * ```ts
 * import type { HttpClient, HttpClientRequest } from "@effect/platform"
 * import { Bulkhead } from "effect-governor"
 * declare const client: HttpClient.HttpClient
 * declare const request: HttpClientRequest.HttpClientRequest
 * const attempt = client.execute(request).pipe(Bulkhead.withAttemptTimeout("10 seconds"))
 * ```
 *
 * @since 0.1.0
 */
export const withAttemptTimeout: {
  (timeout: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | AttemptTimeout, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E | AttemptTimeout, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput) => {
  const duration = Duration.decode(timeout)
  return Effect.timeoutFail(self, { duration, onTimeout: () => new AttemptTimeout({ timeout: duration }) })
})

/**
 * The epoch-ms instant by which the innermost enclosing `withDeadline` must finish, if any.
 *
 * @since 0.1.0
 */
export const currentDeadline: FiberRef.FiberRef<Option.Option<number>> = FiberRef.unsafeMake<Option.Option<number>>(
  Option.none()
)

/**
 * Time left until the enclosing deadline (zero once passed), or `None` without a deadline.
 * Use it to bound waits inside, e.g. a limiter's `maxWait`.
 *
 * @since 0.1.0
 */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = Effect.flatMap(
  FiberRef.get(currentDeadline),
  (deadline) =>
    Option.match(deadline, {
      onNone: () => Effect.succeedNone,
      onSome: (at) => Effect.map(Clock.currentTimeMillis, (now) => Option.some(Duration.millis(Math.max(0, at - now))))
    })
)

/**
 * Fails with `DeadlineExceeded` (and interrupts `self`) when `self` takes longer than `deadline`.
 * Nested deadlines keep the earlier instant: an inner call can shorten the time, never extend it.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import { Bulkhead } from "effect-governor"
 * declare const acquireThenRetry: Effect.Effect<string>
 * // limiter wait + attempts + backoff, 30 s in all
 * const bounded = acquireThenRetry.pipe(Bulkhead.withDeadline("30 seconds"))
 * ```
 *
 * @since 0.1.0
 */
export const withDeadline: {
  (deadline: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DeadlineExceeded, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, deadline: Duration.DurationInput): Effect.Effect<A, E | DeadlineExceeded, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, deadline: Duration.DurationInput) => {
  const duration = Duration.decode(deadline)
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const at = now + Duration.toMillis(duration)
    return self.pipe(
      Effect.locallyWith(currentDeadline, (outer) =>
        Option.some(Option.match(outer, { onNone: () => at, onSome: (o) => Math.min(o, at) }))),
      Effect.timeoutFail({ duration, onTimeout: () => new DeadlineExceeded({ deadline: duration }) })
    )
  })
})
