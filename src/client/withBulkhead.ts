/**
 * Step: at most `maxConcurrent` attempts in flight, the rest queued (up to `maxQueue`, else
 * `BulkheadFull`). A queue wait ends at the request's deadline (`withDeadline` outside): only this
 * wait needs a real timer, everything else meets the deadline by arithmetic.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Predicate } from "effect"
import { Bulkhead, type BulkheadShape } from "../bulkhead/Bulkhead.js"
import { type BulkheadFull, DeadlineExceeded } from "../bulkhead/errors.js"
import * as Timeouts from "../bulkhead/timeouts.js"
import * as Exchange from "./exchange.js"
import { fromContext, type Step } from "./step.js"

/**
 * @since 0.1.0
 * @internal
 */
export const bulkheadStep: Step<BulkheadShape, BulkheadFull | DeadlineExceeded> = (bulkhead, send, request) =>
  Exchange.within(request, (exchange) => {
    if (exchange.deadlineAt === Infinity) return bulkhead.run(send(request))
    return Effect.suspend(() =>
      Timeouts.withDeadline(
        // The race runs the attempt on a fiber of its own: the steps inside keep this exchange.
        Exchange.carry(exchange, bulkhead.run(send(request))),
        Duration.millis(Math.max(0, exchange.deadlineAt - exchange.clock.unsafeCurrentTimeMillis()))
      )
    ).pipe(
      Effect.mapError((e) => Predicate.isTagged(e, "DeadlineExceeded") ? new DeadlineExceeded({ deadline: exchange.deadline }) : e)
    )
  })

/**
 * Each attempt through the `Bulkhead` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withBulkhead = fromContext(Bulkhead, bulkheadStep)
