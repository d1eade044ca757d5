/**
 * Concurrency limits and timeouts: the `Bulkhead` service (bounded in-flight calls with a bounded
 * queue), per-attempt timeouts and overall deadlines.
 *
 * @since 0.1.0
 */
export * as Bulkhead from "./Bulkhead.js"
export * from "./errors.js"
export * as Timeouts from "./timeouts.js"
