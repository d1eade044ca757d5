/**
 * Step: the request's attempts under a `RetryPolicy` (its `Schedule`, `Retry-After`, idempotency
 * rules, budget), stopping at the request's deadline (`withDeadline` outside) with `DeadlineExceeded`
 * when that binds before the budget. The steps inside run once per attempt; each knows which attempt
 * it is on.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { DeadlineExceeded } from "../bulkhead/errors.js"
import { Redaction, type RedactionService } from "../logging/Redaction.js"
import * as Metrics from "../metrics/GovernorMetrics.js"
import type { RetriesExhausted } from "../retry/errors.js"
import { type RetryEvent, runRetries } from "../retry/retryRequest.js"
import type { RetryPolicy } from "../retry/RetryPolicy.js"
import * as Exchange from "./exchange.js"
import { type Step, stepWith } from "./step.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryStepOptions {
  /** The API name (the retry metric's label). */
  readonly api: string
  /**
   * The API's redaction (its token, `logging.redactQueryParams`), for the URL of the retry driver's
   * own warning and of `RetriesExhausted`. Default: the `Redaction` in effect.
   */
  readonly redaction?: RedactionService | undefined
}

/**
 * @since 0.1.0
 * @category combinators
 */
export const withRetry = (policy: RetryPolicy, options: RetryStepOptions) =>
  stepWith(retryStep(policy, options), undefined)

/**
 * @since 0.1.0
 * @internal
 */
export const retryStep = (
  policy: RetryPolicy,
  options: RetryStepOptions
): Step<void, RetriesExhausted<unknown> | DeadlineExceeded> => {
  const onRetry = (event: RetryEvent) => Metrics.recordRetry(options.api, event.delay)
  const { redaction } = options
  return (_, send, request) =>
    Exchange.within(request, (exchange) => {
      const retries = runRetries(policy, request, (req, track) => {
        // A generated Idempotency-Key makes a new request: the steps inside still join this exchange.
        track.current = req
        return send(req)
      }, exchange, {
        startedAt: exchange.startedAt,
        hooks: { onRetry },
        deadlineAt: exchange.deadlineAt === Infinity ? undefined : exchange.deadlineAt,
        deadlineError: () => new DeadlineExceeded({ deadline: exchange.deadline })
      })
      return redaction === undefined ? retries : Effect.provideService(retries, Redaction, redaction)
    })
}
