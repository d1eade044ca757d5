/**
 * What the steps of one logical request share: the deadline, the attempt being made, why the cache
 * sent it, how long the limiter held it, the breaker state it was admitted in, the 429s and retry
 * delays seen. Each step is its own `HttpClient` combinator, so they cannot pass arguments to each
 * other; instead every step calls {@link within} with the request it is given, and the first step
 * of a request (whichever the caller composed outermost) opens its exchange.
 *
 * Keyed by fiber: one fiber runs one request's steps at a time, so a lookup is a `WeakMap` read with
 * no `FiberRef` copy. A step that runs the rest on a fiber of its own (a race) must {@link carry} the
 * exchange there, or the steps inside open a fresh one (no deadline, attempt 1, lost counters). The exchange also remembers its request,
 * so a request sent from inside another on the same fiber (the cache's revalidation, a hook that
 * calls an API) opens its own exchange and the outer one is restored when it ends.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientRequest } from "@effect/platform"
import { Clock, Context, DefaultServices, Duration, Effect, type Fiber, FiberRef, type LogLevel, type MetricLabel, Tracer } from "effect"
import type * as RequestLog from "../logging/RequestLog.js"
import * as Tracing from "../metrics/Tracing.js"
import type { RetryTrack } from "../retry/retryRequest.js"

/**
 * @since 0.1.0
 * @internal
 */
export interface Exchange extends RetryTrack {
  readonly request: HttpClientRequest.HttpClientRequest
  /** The request being sent now, when a step replaced it (a generated Idempotency-Key). */
  current: HttpClientRequest.HttpClientRequest
  readonly clock: Clock.Clock
  readonly startedAt: number
  /** The fiber's metric labels, read once per request. */
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  /** The program's minimum log level, read once per request. */
  readonly minLevel: LogLevel.LogLevel
  /** Whether a real tracer is installed (spans cost only then). */
  readonly tracing: boolean
  /** Epoch ms of the overall deadline (`Infinity` without `withDeadline`). */
  deadlineAt: number
  /** The overall timeout, for the `DeadlineExceeded` it fails with. */
  deadline: Duration.Duration
  /** How the cache let this request through (none without a cache). */
  cache: RequestLog.CacheLogLabel | undefined
  limiterWait: Duration.Duration
  breaker: RequestLog.BreakerStateLabel | undefined
  rateLimited: number
  open: boolean
}

const exchanges = new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, Exchange>()

const open = (fiber: Fiber.RuntimeFiber<unknown, unknown>, request: HttpClientRequest.HttpClientRequest): Exchange => {
  const services = fiber.getFiberRef(DefaultServices.currentServices)
  const clock = Context.get(services, Clock.Clock)
  return {
    request,
    current: request,
    clock,
    startedAt: clock.unsafeCurrentTimeMillis(),
    labels: fiber.getFiberRef(FiberRef.currentMetricLabels),
    minLevel: fiber.getFiberRef(FiberRef.currentMinimumLogLevel),
    tracing: Tracing.isTracing(Context.get(services, Tracer.Tracer)),
    deadlineAt: Infinity,
    deadline: Duration.infinity,
    cache: undefined,
    limiterWait: Duration.zero,
    breaker: undefined,
    rateLimited: 0,
    attempt: 1,
    delays: [],
    open: true
  }
}

/**
 * Runs `f` with the exchange of `request` on this fiber, opening it (and closing it when `f` ends)
 * when this is the request's first step.
 *
 * @since 0.1.0
 * @internal
 */
export const within = <A, E, R>(
  request: HttpClientRequest.HttpClientRequest,
  f: (exchange: Exchange) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const outer = exchanges.get(fiber)
    if (outer !== undefined && outer.open && (outer.request === request || outer.current === request)) return f(outer)
    const exchange = open(fiber, request)
    return installed(fiber, exchange, outer, () => f(exchange), () => {
      exchange.open = false
    })
  })

/**
 * `effect` with `exchange` as its fiber's for its duration, then `outer` again. Installed and restored
 * where the fiber runs uninterruptibly: an interrupted fiber skips the handlers of a plain match (or
 * the interruption arrives between the install and the match), and a fiber that goes on after that
 * (a finalizer, `uninterruptibleMask` + `exit`) would keep the stale entry, still open, for the next
 * request it sends (the same request would join it, its deadline and counters with it).
 */
const installed = <A, E, R>(
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  exchange: Exchange,
  outer: Exchange | undefined,
  effect: () => Effect.Effect<A, E, R>,
  onEnd: () => void
): Effect.Effect<A, E, R> => {
  const restore = () => {
    onEnd()
    if (exchanges.get(fiber) !== exchange) return
    if (outer !== undefined && outer.open) exchanges.set(fiber, outer)
    else exchanges.delete(fiber)
  }
  return Effect.uninterruptibleMask((interruptible) => {
    // Installed here, not before: an interruption delivered between the two would skip the handlers.
    exchanges.set(fiber, exchange)
    return Effect.matchCauseEffect(interruptible(effect()), {
      onFailure: (cause) => {
        restore()
        return Effect.failCause(cause)
      },
      onSuccess: (a) => {
        restore()
        return Effect.succeed(a)
      }
    })
  })
}

/**
 * `effect` run with `exchange` on whatever fiber runs it: for a step that sends the rest of the
 * request from a fiber of its own (the bulkhead's deadline races one), so the steps inside still
 * join the request's exchange (its deadline, attempt, counters) instead of opening a fresh one.
 *
 * @since 0.1.0
 * @internal
 */
export const carry = <A, E, R>(exchange: Exchange, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const outer = exchanges.get(fiber)
    return outer === exchange ? effect : installed(fiber, exchange, outer, () => effect, () => {})
  })
