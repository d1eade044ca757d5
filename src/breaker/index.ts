/**
 * Circuit breaking: the `CircuitBreaker` service (one per API, or one per key), its pure state
 * machine and its errors.
 *
 * @since 0.1.0
 */
export * as CircuitBreaker from "./CircuitBreaker.js"
export * as BreakerMachine from "./machine.js"
export * from "./errors.js"
