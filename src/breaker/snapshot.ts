/**
 * A breaker's snapshot from its machine state.
 *
 * @since 0.1.0
 * @internal
 */
import type { BreakerSnapshot } from "./CircuitBreaker.js"
import * as Machine from "./machine.js"

/**
 * The snapshot of a machine state (shared with the Redis-backed breaker).
 *
 * @since 0.1.0
 */
export const snapshotOf = (name: string, s: Machine.MachineState): BreakerSnapshot => {
  const failures = Machine.windowFailures(s)
  return {
    name,
    state: s.state,
    failures,
    consecutiveFailures: s.consecutiveFailures,
    windowCalls: s.window.length,
    failureRate: s.window.length === 0 ? 0 : failures / s.window.length,
    nextAttemptAt: s.state === "open" ? s.halfOpenAt : null,
    openedAt: s.openedAt,
    trips: s.trips,
    rejected: s.rejected,
    probesInFlight: s.probesInFlight,
    halfOpenSuccesses: s.halfOpenSuccesses,
    totalSuccesses: s.totalSuccesses,
    totalFailures: s.totalFailures
  }
}

