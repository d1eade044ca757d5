/**
 * The default classification of a call's result: did the upstream fail?
 *
 * @since 0.1.0
 * @internal
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Cause, Exit, Option, Predicate } from "effect"
import type * as Machine from "./machine.js"

const statusVerdict = (status: number): Machine.Verdict => status >= 500 || status === 429 ? "failure" : "success"

/**
 * The default classifier: the upstream failed when it answered 5xx or 429, when the connection
 * failed, or when the call timed out (`TimeoutException`, `AttemptTimeout`). Any other response
 * (including other 4xx, which are the caller's fault) is a success. Interruptions, defects and
 * errors that never reached the upstream (invalid URL, encode errors, local rejections such as
 * `RateLimitExceeded` or `BulkheadFull`) are ignored.
 *
 * @since 0.1.0
 */
export const defaultClassify = (exit: Exit.Exit<unknown, unknown>): Machine.Verdict => {
  if (Exit.isSuccess(exit)) {
    const v = exit.value
    return Predicate.hasProperty(v, HttpClientResponse.TypeId) ? statusVerdict((v as HttpClientResponse.HttpClientResponse).status) : "success"
  }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return "ignore"
  const error = failure.value
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") return error.reason === "Transport" ? "failure" : "ignore"
    return error.reason === "StatusCode" ? statusVerdict(error.response.status) : "success"
  }
  if (Cause.isTimeoutException(error) || Predicate.isTagged(error, "AttemptTimeout")) return "failure"
  return "ignore"
}

