/**
 * Step: the overall deadline of a request, shared by the steps inside it: the limiter does not wait
 * past it, the bulkhead's queue wait and each attempt's timer stop at it, and `withRetry` does not
 * retry beyond it. All fail with `DeadlineExceeded`. It sets the deadline; the steps inside keep it.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { DeadlineExceeded } from "../bulkhead/errors.js"
import * as Exchange from "./exchange.js"
import { type Step, stepWith } from "./step.js"

/**
 * @since 0.1.0
 * @category combinators
 */
export const withDeadline = (deadline: Duration.DurationInput) => stepWith(deadlineStep(deadline), undefined)

/**
 * @since 0.1.0
 * @internal
 */
export const deadlineStep = (deadline: Duration.DurationInput): Step<void, DeadlineExceeded> => {
  const duration = Duration.decode(deadline)
  const ms = Duration.toMillis(duration)
  return (_, send, request) =>
      Exchange.within(request, (exchange) => {
        const at = exchange.clock.unsafeCurrentTimeMillis() + ms
        // Nested deadlines keep the earlier instant.
        if (at < exchange.deadlineAt) {
          exchange.deadlineAt = at
          exchange.deadline = duration
        }
        return send(request)
      })
}
