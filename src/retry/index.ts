/**
 * Retries: `Retry-After` parsing, backoff math, retry policies as `Schedule`s, and the retry loop
 * for HTTP requests.
 *
 * @since 0.1.0
 */
export * from "./backoff.js"
export { type ExhaustedReason, InvalidRetryPolicy, RetriesExhausted } from "./errors.js"
export * from "./retryAfter.js"
export * from "./retryRequest.js"
export * as RetryPolicy from "./RetryPolicy.js"
export type { RetryDecision, RetryOutcome, RetryPolicyOptions } from "./RetryPolicy.js"
