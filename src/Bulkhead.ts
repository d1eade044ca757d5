/**
 * Concurrency and time bounds: the `Bulkhead` service (at most N calls in flight, a bounded FIFO
 * queue), a per-attempt timeout (`withAttemptTimeout`) and an overall deadline (`withDeadline`)
 * covering limiter waits, attempts and backoff.
 *
 * @since 0.1.0
 */
export {
  Bulkhead,
  type BulkheadOptions,
  type BulkheadShape,
  type BulkheadStats,
  layer,
  make,
  withBulkhead
} from "./bulkhead/Bulkhead.js"
export { AttemptTimeout, BulkheadFull, DeadlineExceeded, InvalidBulkheadOptions } from "./bulkhead/errors.js"
export { currentDeadline, remaining as deadlineRemaining, withAttemptTimeout, withDeadline } from "./bulkhead/timeouts.js"
