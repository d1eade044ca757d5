/**
 * Step: the circuit breaker admits each attempt (or fails it with `CircuitOpenError`) and records
 * its classified result. Inside `withRetry`, so every attempt asks; the attempt's log lines say
 * whether it went as a half-open probe.
 *
 * @since 0.1.0
 */
import { CircuitBreaker, type CircuitBreakerShape } from "../breaker/CircuitBreaker.js"
import type { CircuitOpenError } from "../breaker/errors.js"
import * as Exchange from "./exchange.js"
import { fromContext, type Step } from "./step.js"

/**
 * @since 0.1.0
 * @internal
 */
export const breakerStep: Step<CircuitBreakerShape, CircuitOpenError> = (breaker, send, request) =>
  Exchange.within(request, (exchange) =>
    breaker.withPermit((probe) => {
      exchange.breaker = probe ? "half-open" : "closed"
      return send(request)
    }))

/**
 * Each request through the `CircuitBreaker` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withBreaker = fromContext(CircuitBreaker, breakerStep)
