/**
 * Which outcomes a policy retries: the pure classification behind `retryRequest` and
 * `RetryPolicy.isRetryableError` (re-exported from `RetryPolicy`).
 *
 * @since 0.1.0
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import { Cause, Predicate } from "effect"
import { dual } from "effect/Function"
import type { RetryOutcome, RetryPolicy } from "./RetryPolicy.js"

/**
 * Methods that are not idempotent: never retried without an `Idempotency-Key` or an opt-in.
 *
 * @since 0.1.0
 */
export const NON_IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH", "CONNECT"])

/**
 * Whether a method is idempotent by its semantics (RFC 9110 §9.2.2): everything but POST, PATCH
 * and CONNECT.
 *
 * @since 0.1.0
 */
export const isIdempotentMethod = (method: string): boolean => !NON_IDEMPOTENT_METHODS.has(method.toUpperCase())

/**
 * A transient transport failure: connection refused/reset/closed (`RequestError` with reason
 * `Transport`), Effect's `TimeoutException`, or an `AttemptTimeout` from the bulkhead module.
 *
 * @since 0.1.0
 */
export const isTransportError = (error: unknown): boolean =>
  (HttpClientError.isHttpClientError(error) && error._tag === "RequestError" && error.reason === "Transport") ||
  Cause.isTimeoutException(error) ||
  Predicate.isTagged(error, "AttemptTimeout")

/**
 * The response carried by an outcome: the response itself, or the one inside a `ResponseError`
 * (e.g. from `HttpClient.filterStatusOk`).
 *
 * @since 0.1.0
 */
export const responseOf = (outcome: RetryOutcome): HttpClientResponse | undefined => {
  if (outcome._tag === "Response") return outcome.response
  const e = outcome.error
  return HttpClientError.isHttpClientError(e) && e._tag === "ResponseError" && e.reason === "StatusCode"
    ? e.response
    : undefined
}

/**
 * The policy's own rule (without the decision hook and idempotency check): a status in
 * `retryOnStatus`, or a transport error when `retryOnTransport`.
 *
 * @since 0.1.0
 */
export const isRetryableOutcome = dual<
  (outcome: RetryOutcome) => (policy: RetryPolicy) => boolean,
  (policy: RetryPolicy, outcome: RetryOutcome) => boolean
>(2, (policy, outcome) => {
  const response = responseOf(outcome)
  if (response !== undefined) return policy.retryOnStatus.has(response.status)
  return outcome._tag === "Error" && policy.retryOnTransport && isTransportError(outcome.error)
})

/**
 * A predicate over errors for `Schedule.whileInput` / `Effect.retry({ while })`: transport errors
 * and `ResponseError`s whose status the policy retries.
 *
 * @since 0.1.0
 */
export const isRetryableError = (policy: RetryPolicy) => (error: unknown): boolean =>
  isRetryableOutcome(policy, { _tag: "Error", error })
