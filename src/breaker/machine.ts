/**
 * The circuit breaker as a pure state machine: every step takes the state, the current time in
 * epoch milliseconds and an event, and returns the next state, its answer and the transitions it
 * made. The service in `CircuitBreaker.ts` only adds a `Ref`, the `Clock` and a change stream.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export type BreakerStateName = "closed" | "open" | "half-open"

/**
 * How a call's result counts: a `failure` of the upstream, a `success`, or `ignore` (it says
 * nothing about the upstream: interrupted, rejected locally, never sent).
 *
 * @since 0.1.0
 */
export type Verdict = "success" | "failure" | "ignore"

/**
 * Validated breaker settings (all times in milliseconds).
 *
 * @since 0.1.0
 */
export interface MachineConfig {
  /** Trip after this many consecutive failures (`undefined`: not used). */
  readonly failureThreshold: number | undefined
  /** Trip when the failure fraction of the last `windowSize` calls reaches this (`undefined`: not used). */
  readonly failureRate: number | undefined
  readonly windowSize: number
  /** The rate is only judged once the window holds this many calls. */
  readonly minimumCalls: number
  /** Successful probes in half-open needed to close. */
  readonly successThreshold: number
  readonly recoveryTimeoutMs: number
  /** Probes allowed in flight at once while half-open. */
  readonly halfOpenMaxProbes: number
}

/**
 * @since 0.1.0
 */
export interface MachineState {
  readonly state: BreakerStateName
  /** Bumped on every transition; results of calls admitted in an older generation are ignored. */
  readonly generation: number
  readonly consecutiveFailures: number
  /**
   * Outcomes of the last calls in closed state, oldest first: `"1"` a failure, `"0"` a success.
   * A string because slicing and appending one are cheap and immutable.
   */
  readonly window: string
  /** The `"1"`s in `window`. */
  readonly windowFailures: number
  readonly openedAt: number | null
  readonly halfOpenAt: number | null
  readonly probesInFlight: number
  readonly halfOpenSuccesses: number
  readonly trips: number
  readonly rejected: number
  readonly totalSuccesses: number
  readonly totalFailures: number
}

/**
 * A transition between two states.
 *
 * @since 0.1.0
 */
export interface Transition {
  readonly from: BreakerStateName
  readonly to: BreakerStateName
  /** Epoch ms. */
  readonly at: number
  readonly reason: "ConsecutiveFailures" | "FailureRate" | "ProbeFailed" | "RecoveryTimeout" | "ProbesSucceeded" | "Reset" | "Forced"
}

/**
 * What `admit` answers.
 *
 * @since 0.1.0
 */
export type Admission =
  | { readonly _tag: "Admitted"; readonly generation: number; readonly probe: boolean }
  | { readonly _tag: "Rejected"; readonly state: "open" | "half-open"; readonly halfOpenAt: number }

/**
 * The ticket of an admitted call, handed back with its verdict.
 *
 * @since 0.1.0
 */
export interface Ticket {
  readonly generation: number
  readonly probe: boolean
}

/**
 * @since 0.1.0
 */
export const initial: MachineState = {
  state: "closed",
  generation: 0,
  consecutiveFailures: 0,
  window: "",
  windowFailures: 0,
  openedAt: null,
  halfOpenAt: null,
  probesInFlight: 0,
  halfOpenSuccesses: 0,
  trips: 0,
  rejected: 0,
  totalSuccesses: 0,
  totalFailures: 0
}

type Step<A> = readonly [MachineState, A, ReadonlyArray<Transition>]

const toClosed = (s: MachineState, now: number, reason: Transition["reason"]): Step<void> => [
  // A fresh closed breaker that keeps its lifetime counters (trips, rejected, totals).
  {
    ...initial,
    generation: s.generation + 1,
    trips: s.trips,
    rejected: s.rejected,
    totalSuccesses: s.totalSuccesses,
    totalFailures: s.totalFailures
  },
  undefined,
  s.state === "closed" ? [] : [{ from: s.state, to: "closed", at: now, reason }]
]

const toOpen = (config: MachineConfig, s: MachineState, now: number, reason: Transition["reason"]): Step<void> => [
  {
    ...s,
    state: "open",
    generation: s.generation + 1,
    openedAt: now,
    halfOpenAt: now + config.recoveryTimeoutMs,
    probesInFlight: 0,
    halfOpenSuccesses: 0,
    trips: s.trips + 1
  },
  undefined,
  [{ from: s.state, to: "open", at: now, reason }]
]

/**
 * Moves an open breaker whose recovery timeout has passed to half-open; otherwise no change.
 *
 * @since 0.1.0
 */
export const tick = (s: MachineState, now: number): Step<void> =>
  s.state === "open" && s.halfOpenAt !== null && now >= s.halfOpenAt
    ? [
      { ...s, state: "half-open", generation: s.generation + 1, probesInFlight: 0, halfOpenSuccesses: 0 },
      undefined,
      // Stamped with the moment it became due, not when someone happened to look.
      [{ from: "open", to: "half-open", at: s.halfOpenAt, reason: "RecoveryTimeout" }]
    ]
    : [s, undefined, []]

/**
 * Asks to let one call through.
 *
 * @since 0.1.0
 */
export const admit = (config: MachineConfig, s0: MachineState, now: number): Step<Admission> => {
  const [s, , ts] = tick(s0, now)
  switch (s.state) {
    case "closed":
      return [s, { _tag: "Admitted", generation: s.generation, probe: false }, ts]
    case "open":
      return [{ ...s, rejected: s.rejected + 1 }, { _tag: "Rejected", state: "open", halfOpenAt: s.halfOpenAt ?? now }, ts]
    case "half-open":
      if (s.probesInFlight < config.halfOpenMaxProbes) {
        return [
          { ...s, probesInFlight: s.probesInFlight + 1 },
          { _tag: "Admitted", generation: s.generation, probe: true },
          ts
        ]
      }
      // Probes saturated: no known time, the next probe result decides.
      return [{ ...s, rejected: s.rejected + 1 }, { _tag: "Rejected", state: "half-open", halfOpenAt: now }, ts]
  }
}

/** `step`, with the transitions `ts` that happened before it. */
const after = (ts: ReadonlyArray<Transition>, step: Step<void>): Step<void> =>
  ts.length === 0 ? step : [step[0], undefined, [...ts, ...step[2]]]

/**
 * Records the verdict of a call. With a `ticket` (from `admit`), a result from an older generation
 * is ignored and a probe frees its slot; without one (external feedback) it applies to the
 * current state.
 *
 * @since 0.1.0
 */
export const record = (
  config: MachineConfig,
  s0: MachineState,
  now: number,
  verdict: Verdict,
  ticket?: Ticket
): Step<void> => {
  const [ticked, , ts] = tick(s0, now)
  if (ticket !== undefined && ticket.generation !== ticked.generation) return [ticked, undefined, ts]
  const probesInFlight = ticket?.probe === true ? Math.max(0, ticked.probesInFlight - 1) : ticked.probesInFlight
  if (verdict === "ignore") {
    return [probesInFlight === ticked.probesInFlight ? ticked : { ...ticked, probesInFlight }, undefined, ts]
  }
  const failed = verdict === "failure"
  const totalSuccesses = ticked.totalSuccesses + (failed ? 0 : 1)
  const totalFailures = ticked.totalFailures + (failed ? 1 : 0)
  switch (ticked.state) {
    case "open":
      // A late result of a call admitted before the trip: counted in the totals, nothing else.
      return [{ ...ticked, probesInFlight, totalSuccesses, totalFailures }, undefined, ts]
    case "half-open": {
      const s = { ...ticked, probesInFlight, totalSuccesses, totalFailures }
      if (failed) return after(ts, toOpen(config, s, now, "ProbeFailed"))
      const successes = s.halfOpenSuccesses + 1
      if (successes >= config.successThreshold) return after(ts, toClosed(s, now, "ProbesSucceeded"))
      return [{ ...s, halfOpenSuccesses: successes }, undefined, ts]
    }
    case "closed": {
      const full = ticked.window.length >= config.windowSize
      const dropped = full && ticked.window.charCodeAt(0) === 49 // "1"
      const window = (full ? ticked.window.slice(ticked.window.length - config.windowSize + 1) : ticked.window) +
        (failed ? "1" : "0")
      const windowFailures = ticked.windowFailures - (dropped ? 1 : 0) + (failed ? 1 : 0)
      // Every field spelled out: this runs on every call, and V8's spread-with-overrides is slow.
      const next: MachineState = {
        state: "closed",
        generation: ticked.generation,
        consecutiveFailures: failed ? ticked.consecutiveFailures + 1 : 0,
        window,
        windowFailures,
        openedAt: ticked.openedAt,
        halfOpenAt: ticked.halfOpenAt,
        probesInFlight,
        halfOpenSuccesses: ticked.halfOpenSuccesses,
        trips: ticked.trips,
        rejected: ticked.rejected,
        totalSuccesses,
        totalFailures
      }
      if (!failed) return [next, undefined, ts]
      if (config.failureThreshold !== undefined && next.consecutiveFailures >= config.failureThreshold) {
        return after(ts, toOpen(config, next, now, "ConsecutiveFailures"))
      }
      if (
        config.failureRate !== undefined && window.length >= config.minimumCalls &&
        windowFailures / window.length >= config.failureRate
      ) {
        return after(ts, toOpen(config, next, now, "FailureRate"))
      }
      return [next, undefined, ts]
    }
  }
}

/**
 * Forces a state (operators' override): `closed` resets counters, `open` trips now.
 *
 * @since 0.1.0
 */
export const force = (
  config: MachineConfig,
  s: MachineState,
  now: number,
  to: "closed" | "open"
): Step<void> => {
  if (to === "closed") return toClosed(s, now, "Reset")
  return toOpen(config, s, now, "Forced")
}

/**
 * Failures among the calls in the window.
 *
 * @since 0.1.0
 */
export const windowFailures = (s: MachineState): number => s.windowFailures
