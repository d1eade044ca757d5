/**
 * Step: every response an attempt gets is feedback for the `AdaptiveController` (429 / backoff
 * statuses slow the rate down, successes raise it, rate-limit headers and `Retry-After` set it), and
 * its decision is reported as gauges. On its plateau a key sends no more than its in-flight cap
 * allows (`inFlight.ts`). Feedback that cannot be applied (a store that is down) is
 * logged, never the request's failure.
 *
 * @since 0.1.0
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Effect } from "effect"
import { AdaptiveController, type AdaptiveControllerShape, type Snapshot } from "../adaptive/AdaptiveController.js"
import * as Metrics from "../metrics/GovernorMetrics.js"
import * as Exchange from "./exchange.js"
import { fromContext, type Step } from "./step.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AdaptiveFeedbackOptions {
  /** The API name (the gauges' label). */
  readonly api: string
  /** The limiter key the feedback applies to. Default: the API name. */
  readonly key?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
}

/** Gauges of what the adaptive controller just decided. */
const report = (api: string, snap: Snapshot, now: number) =>
  Effect.all([
    Metrics.setAdaptiveRate(api, snap.currentRate),
    Metrics.setCooldown(api, snap.cooldownUntil !== null && snap.cooldownUntil > now),
    snap.tokens === null ? Effect.void : Metrics.setTokens(api, "tightest", snap.tokens)
  ], { discard: true })

const headerRecord = (response: HttpClientResponse.HttpClientResponse): Record<string, string> =>
  response.headers as unknown as Record<string, string>

const noCap = <A, E, R>(_key: string, send: Effect.Effect<A, E, R>) => send

/**
 * @since 0.1.0
 * @internal
 */
export const adaptiveStep = (options: AdaptiveFeedbackOptions): Step<AdaptiveControllerShape, never> => {
  const keyOf = options.key ?? (() => options.api)
  return (adaptive, send, request) =>
    Exchange.within(request, (exchange) => {
      const key = keyOf(request)
      // Sent once the key has room for it in flight, and observed before it leaves the count.
      // A controller without a gate (a test double written before it existed): no cap.
      return (adaptive.inFlight ?? noCap)(
        key,
        Effect.suspend(() => {
          const sentAt = exchange.clock.unsafeCurrentTimeMillis()
          return Effect.flatMap(send(request), (response) =>
            adaptive.observe(key, { status: response.status, headers: headerRecord(response), sentAt }).pipe(
              Effect.flatMap((snap) => report(options.api, snap, sentAt)),
              Effect.catchAll((e) => Effect.logWarning("adaptive controller could not apply feedback", e)),
              Effect.as(response)
            ))
        })
      )
    })
}

/**
 * Each response as feedback for the `AdaptiveController` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withAdaptiveFeedback = (options: AdaptiveFeedbackOptions) =>
  fromContext(AdaptiveController, adaptiveStep(options))
