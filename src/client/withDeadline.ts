/**
 * Step: the overall deadline of a request, shared by the steps inside it: the limiter does not wait
 * past it, the bulkhead's queue wait and each attempt's timer stop at it, and `withRetry` does not
 * retry beyond it. All fail with `DeadlineExceeded`. It sets the deadline; the steps inside keep it.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Duration } from "effect"
import type { DeadlineExceeded } from "../bulkhead/errors.js"
import * as Exchange from "./exchange.js"
import { around } from "./step.js"

/**
 * @since 0.1.0
 * @category combinators
 */
export const withDeadline = (deadline: Duration.DurationInput) => {
  const duration = Duration.decode(deadline)
  const ms = Duration.toMillis(duration)
  return <E, R>(self: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | DeadlineExceeded, R> =>
    around(self, (send, request) =>
      Exchange.within(request, (exchange) => {
        const at = exchange.clock.unsafeCurrentTimeMillis() + ms
        // Nested deadlines keep the earlier instant.
        if (at < exchange.deadlineAt) {
          exchange.deadlineAt = at
          exchange.deadline = duration
        }
        return send(request)
      }))
}
