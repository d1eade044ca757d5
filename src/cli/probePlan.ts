/**
 * The pure planning logic of `effect-governor probe`: which rate to try next, for how many requests,
 * and when to stop. No I/O and no clock: the shell (`probe.ts`) runs each step against the real API
 * and feeds the outcome back with {@link record}.
 *
 * The search:
 * 1. **Ramp**: try `startRate`, then double (capped at `maxRate`) after every step that passed, until a
 *    step is *limited* (a 429, or rate-limit headers saying nothing is left).
 * 2. **Bisect** between the highest rate that passed (`lo`) and the lowest that was limited (`hi`),
 *    until `hi - lo <= tolerance × hi`. A limited step at the very first rate halves instead (`lo = 0`).
 * 3. The estimate of the sustainable rate is `lo`, the proven lower bound.
 *
 * Each step lasts about `stepSeconds` (at least `minStepRequests` requests) so a token bucket's burst
 * has time to drain when the rate is above the refill rate. The hard cap `maxRequests` is never
 * exceeded: a step is shortened to the budget left, and the plan stops when less than
 * `minStepRequests` remain.
 *
 * The bounds are sound for a token bucket and paced requests: a 429 at rate r proves the refill rate
 * is below r (a bucket refilled faster than it is drained never empties); a step that passes proves
 * a lower bound only once the tokens it may have started with are bounded (see {@link provenLowerBound}),
 * which is why steps after the first 429 are long enough to drain what a pause can refill.
 *
 * A second, independent estimate is {@link admittedRate}: between two 429s the bucket was empty both
 * times, so the requests admitted in between, divided by the time between them, is the refill rate.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanOptions {
  /** First rate tried, requests per second (> 0). */
  readonly startRate: number
  /** Highest rate tried (>= startRate). Passing at this rate ends the probe. */
  readonly maxRate: number
  /** Hard cap on requests sent, over the whole probe (whole number >= 1). */
  readonly maxRequests: number
  /** Stop bisecting when the bracket is narrower than this fraction of its upper end, in (0, 1). */
  readonly tolerance: number
  /** Target length of one step in seconds (> 0). */
  readonly stepSeconds: number
  /** Fewest requests in a step (whole number >= 1). */
  readonly minStepRequests: number
  /** Below `startRate / lowestFraction` a probe limited from the start gives up. Default 16. */
  readonly lowestFraction?: number | undefined
}

/**
 * Defaults: start at 1/s, up to 1,000/s, at most 200 requests, 10 % precision, 1 s steps of >= 5.
 *
 * @since 0.1.0
 * @category models
 */
export const defaults: PlanOptions = {
  startRate: 1,
  maxRate: 1000,
  maxRequests: 200,
  tolerance: 0.1,
  stepSeconds: 1,
  minStepRequests: 5
}

/**
 * An invalid option, with its name and the reason.
 *
 * @since 0.1.0
 * @category errors
 */
export interface PlanOptionIssue {
  readonly option: keyof PlanOptions
  readonly reason: string
}

/**
 * Check options; returns every problem (empty when valid).
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (o: PlanOptions): ReadonlyArray<PlanOptionIssue> => {
  const issues: Array<PlanOptionIssue> = []
  const positive = (option: keyof PlanOptions, n: number) => {
    if (!Number.isFinite(n) || n <= 0) issues.push({ option, reason: `expected a finite number > 0, got ${n}` })
  }
  const whole = (option: keyof PlanOptions, n: number) => {
    if (!Number.isSafeInteger(n) || n < 1) issues.push({ option, reason: `expected a whole number >= 1, got ${n}` })
  }
  positive("startRate", o.startRate)
  positive("maxRate", o.maxRate)
  if (Number.isFinite(o.startRate) && Number.isFinite(o.maxRate) && o.maxRate < o.startRate) {
    issues.push({ option: "maxRate", reason: `must be >= startRate (${o.startRate}), got ${o.maxRate}` })
  }
  whole("maxRequests", o.maxRequests)
  if (!(o.tolerance > 0 && o.tolerance < 1)) {
    issues.push({ option: "tolerance", reason: `expected a number strictly between 0 and 1, got ${o.tolerance}` })
  }
  positive("stepSeconds", o.stepSeconds)
  whole("minStepRequests", o.minStepRequests)
  if (o.lowestFraction !== undefined && !(Number.isFinite(o.lowestFraction) && o.lowestFraction >= 1)) {
    issues.push({ option: "lowestFraction", reason: `expected a finite number >= 1, got ${o.lowestFraction}` })
  }
  return issues
}

/**
 * Why the probe stopped.
 * - `converged`: the bracket is within the tolerance.
 * - `max-rate`: a step passed at `maxRate`; the real limit is at least that.
 * - `budget`: the request cap left too little for another step.
 * - `too-low`: limited even far below `startRate`.
 * - `headers`: the API's rate-limit headers stated the limit (set by the shell).
 * - `trouble`: an error, an unexpected status, or a Retry-After too long to wait (set by the shell).
 *
 * @since 0.1.0
 * @category models
 */
export type StopReason = "converged" | "max-rate" | "budget" | "too-low" | "headers" | "trouble"

/**
 * What one step did, as the shell reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepOutcome {
  /** Requests actually sent in the step (may be fewer than planned when it stopped early). */
  readonly sent: number
  /** A 429, or headers saying the quota is used up. */
  readonly limited: boolean
}

/**
 * A step as recorded in the state.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepRecord extends StepOutcome {
  readonly rate: number
  readonly planned: number
  readonly phase: "ramp" | "bisect"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanState {
  readonly phase: "ramp" | "bisect"
  /** Proven lower bound of the sustainable rate (0: none yet). */
  readonly lo: number
  /** Lowest rate that was limited: the sustainable rate is below it (undefined: none yet). */
  readonly hi: number | undefined
  /** The rate of the next step. */
  readonly rate: number
  /**
   * Upper bound of the tokens the API may hold when the next step starts. Infinite until the first
   * 429 (the initial burst is unknown); after it, what a rate below `hi` can refill during the pause.
   */
  readonly carry: number
  /** Requests sent so far. */
  readonly sent: number
  readonly steps: ReadonlyArray<StepRecord>
  /** Set once the plan has stopped. */
  readonly stopped: StopReason | undefined
}

/**
 * What to do next.
 *
 * @since 0.1.0
 * @category models
 */
export type Next =
  | { readonly _tag: "Step"; readonly rate: number; readonly requests: number }
  | { readonly _tag: "Done"; readonly reason: StopReason }

/**
 * @since 0.1.0
 * @category constructors
 */
export const initial = (options: PlanOptions): PlanState => ({
  phase: "ramp",
  lo: 0,
  hi: undefined,
  rate: Math.min(options.startRate, options.maxRate),
  carry: Number.POSITIVE_INFINITY,
  sent: 0,
  steps: [],
  stopped: undefined
})

/**
 * Requests in a step at `rate` before the budget is applied: at least `minStepRequests` and
 * `rate × stepSeconds`, and, once the carry is bounded, enough that a pass proves a rate within
 * `tolerance / 2` of the step's rate despite the tokens carried in.
 *
 * @since 0.1.0
 * @category planning
 */
export const stepSize = (rate: number, options: PlanOptions, carry = Number.POSITIVE_INFINITY): number => {
  const base = Math.max(options.minStepRequests, Math.ceil(rate * options.stepSeconds - 1e-9))
  if (!Number.isFinite(carry)) return base
  return Math.max(base, Math.ceil(carry * Number(process.env.M ?? 2) - 1e-9))
}

/**
 * The next action. Never plans more requests than `maxRequests - sent`; a step is shortened to the
 * budget left (a shorter pass still proves a lower bound), and the plan stops when less than
 * `minStepRequests` remain.
 *
 * @since 0.1.0
 * @category planning
 */
export const next = (state: PlanState, options: PlanOptions): Next => {
  if (state.stopped !== undefined) return { _tag: "Done", reason: state.stopped }
  const left = options.maxRequests - state.sent
  const wanted = stepSize(state.rate, options, state.carry)
  if (left < Math.min(wanted, options.minStepRequests)) return { _tag: "Done", reason: "budget" }
  return { _tag: "Step", rate: state.rate, requests: Math.min(wanted, left) }
}

const converged = (lo: number, hi: number, options: PlanOptions): boolean => lo > 0 && hi - lo <= options.tolerance * hi

/**
 * What a step of `sent` requests paced at `rate`, all admitted, proves about the refill rate R when
 * the bucket held at most `carry` tokens at its start: the last request needed `sent` tokens, and at
 * most `carry + R × (sent - 1) / rate` were there, so `R >= rate × (sent - carry) / (sent - 1)`.
 *
 * @since 0.1.0
 * @category planning
 */
export const provenLowerBound = (rate: number, sent: number, carry: number): number =>
  sent > 1 && sent > carry ? (rate * (sent - carry)) / (sent - 1) : 0

/**
 * Fold the outcome of the step planned by {@link next} into the state. `pauseSeconds` is how long the
 * shell waits after a limited step before the next one (the Retry-After it honours).
 *
 * @since 0.1.0
 * @category planning
 */
export const record = (
  state: PlanState,
  outcome: StepOutcome & { readonly pauseSeconds?: number | undefined },
  options: PlanOptions
): PlanState => {
  if (state.stopped !== undefined) return state
  const planned = next(state, options)
  const step: StepRecord = {
    rate: state.rate,
    planned: planned._tag === "Step" ? planned.requests : 0,
    phase: state.phase,
    sent: outcome.sent,
    limited: outcome.limited
  }
  const base = { ...state, sent: state.sent + outcome.sent, steps: [...state.steps, step] }
  if (outcome.limited) {
    // Paced requests empty a bucket only when they come faster than it refills: R < rate.
    const hi = state.hi === undefined ? state.rate : Math.min(state.hi, state.rate)
    // Jitter can make a rate below a proven bound look limited; keep the bracket consistent.
    const lo = state.lo < hi ? state.lo : 0
    // At the 429 less than one token was left; the pause refills at most `hi` per second.
    const carry = 1 + hi * Math.max(0, outcome.pauseSeconds ?? 0)
    const moved = { ...base, phase: "bisect" as const, lo, hi, carry }
    if (converged(lo, hi, options)) return { ...moved, stopped: "converged" }
    if (lo === 0) {
      const lower = hi / 2
      if (lower < options.startRate / (options.lowestFraction ?? 16)) return { ...moved, stopped: "too-low" }
      return { ...moved, rate: lower }
    }
    return { ...moved, rate: (lo + hi) / 2 }
  }
  const proven = outcome.sent >= Math.min(next(state, options)._tag === "Step" ? (next(state, options) as any).requests : 0, options.minStepRequests) ? state.rate : 0
  const lo = Math.max(state.lo, state.hi === undefined ? proven : Math.min(proven, state.hi))
  // Tokens in: at most `hi` per second over the step and the pacing gap after it; out: one per request.
  const carry = state.hi === undefined
    ? Number.POSITIVE_INFINITY
    : Math.max(0, state.carry + (state.hi * outcome.sent) / state.rate - outcome.sent)
  const moved = { ...base, lo, carry }
  if (state.hi === undefined) {
    if (state.rate >= options.maxRate) return { ...moved, stopped: "max-rate" }
    return { ...moved, rate: Math.min(state.rate * 2, options.maxRate) }
  }
  if (converged(lo, state.hi, options)) return { ...moved, stopped: "converged" }
  // Nothing proven (a step cut short): try the same rate again, the budget check ends the loop.
  if (lo === 0) return moved
  return { ...moved, rate: (lo + state.hi) / 2 }
}

/**
 * Stop the plan for a reason found by the shell (`headers`, `trouble`, or the budget).
 *
 * @since 0.1.0
 * @category planning
 */
export const stop = (state: PlanState, reason: StopReason): PlanState =>
  state.stopped !== undefined ? state : { ...state, stopped: reason }

/**
 * The estimate of the sustainable rate: the proven lower bound, or `undefined` when nothing was
 * proven. (Before the first 429 the API's initial burst is unknown, so passing steps prove nothing;
 * a probe that never met a 429 reports only the rates it passed.)
 *
 * @since 0.1.0
 * @category results
 */
export const estimate = (state: PlanState): number | undefined => (state.lo > 0 ? state.lo : undefined)

/**
 * The highest rate that passed a step (evidence, not proof: a burst may have carried it).
 *
 * @since 0.1.0
 * @category results
 */
export const highestPassed = (state: PlanState): number | undefined => {
  const rates = state.steps.filter((s) => !s.limited && s.sent > 0).map((s) => s.rate)
  return rates.length === 0 ? undefined : Math.max(...rates)
}

/**
 * One response seen by the probe: when its request was sent (ms) and whether it was a 429.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample {
  readonly sentAt: number
  readonly limited: boolean
}

/**
 * The rate the API admitted between the first and the last 429 (requests per second): at both
 * instants the bucket was empty, so what it let through in between is what it refilled (a lower
 * bound when a pause let the bucket fill up to its burst, and tokens were lost to the cap). `undefined`
 * with fewer than two 429s or when they are less than `minSpanMs` apart (too short to mean much).
 *
 * @since 0.1.0
 * @category results
 */
export const admittedRate = (samples: ReadonlyArray<Sample>, minSpanMs = 1000): number | undefined => {
  const sorted = [...samples].sort((a, b) => a.sentAt - b.sentAt)
  const first = sorted.findIndex((s) => s.limited)
  let last = -1
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (sorted[i]!.limited) {
      last = i
      break
    }
  }
  if (first < 0 || last <= first) return undefined
  const span = sorted[last]!.sentAt - sorted[first]!.sentAt
  if (!(span >= minSpanMs)) return undefined
  let admitted = 0
  for (let i = first + 1; i < last; i++) if (!sorted[i]!.limited) admitted++
  return admitted / (span / 1000)
}
