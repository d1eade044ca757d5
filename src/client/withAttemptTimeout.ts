/**
 * Step: each attempt's timer, on the `DeadlineTimer` in context: the attempt timeout, or the time left
 * until the request's deadline when that is sooner (failing with `AttemptTimeout` or
 * `DeadlineExceeded`). The innermost step, right around the transport: at the deadline the request's
 * `AbortSignal` is aborted (see `abortableSend.ts`) rather than a fiber raced per attempt.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import { AttemptTimeout, DeadlineExceeded } from "../bulkhead/errors.js"
import * as AbortableSend from "./abortableSend.js"
import { DeadlineTimer, type DeadlineTimerShape } from "./DeadlineTimer.js"
import * as Exchange from "./exchange.js"
import { fromContext, type Step } from "./step.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AttemptTimeoutOptions {
  readonly timeout: Duration.DurationInput
  /** Called once if the transport turns out to ignore aborts (attempts then race fibers). */
  readonly onIgnoredAbort?: (() => void) | undefined
}

/**
 * @since 0.1.0
 * @internal
 */
export const attemptTimeoutStep = (
  options: AttemptTimeoutOptions
): Step<DeadlineTimerShape, AttemptTimeout | DeadlineExceeded> => {
  const timeout = Duration.decode(options.timeout)
  const attemptMs = Duration.toMillis(timeout)
  // One per step: it learns once whether the transport listens to the request's signal.
  const deadlineSend = AbortableSend.make(options.onIgnoredAbort ?? (() => {}))
  return (timer, send, request) =>
    Exchange.within(request, (exchange) =>
      Effect.suspend(() => {
        const sentAt = exchange.clock.unsafeCurrentTimeMillis()
        const leftMs = exchange.deadlineAt - sentAt
        return deadlineSend.send(
          send,
          timer,
          request,
          sentAt + Math.max(0, Math.min(attemptMs, leftMs)),
          (): AttemptTimeout | DeadlineExceeded =>
            leftMs < attemptMs
              ? new DeadlineExceeded({ deadline: exchange.deadline })
              : new AttemptTimeout({ timeout })
        )
      }))
}

/**
 * Each attempt under `timeout` (and the request's deadline), on the `DeadlineTimer` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withAttemptTimeout = (options: AttemptTimeoutOptions) => {
  const step = attemptTimeoutStep(options)
  // Until the transport is seen honouring aborts, an attempt races a fiber of its own: steps composed
  // inside this one keep the request's exchange there. (`make` puts only the transport inside.)
  // Typed as a `Step` so the combinator keeps the client's errors (an untyped lambda made them `unknown`).
  const carried: Step<DeadlineTimerShape, AttemptTimeout | DeadlineExceeded> = (timer, send, request) =>
    Exchange.within(request, (exchange) => step(timer, (r) => Exchange.carry(exchange, send(r)), request))
  return fromContext(DeadlineTimer, carried)
}
