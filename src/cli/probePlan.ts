/**
 * The pure planning logic of `effect-governor probe`: which rate to try next, for how many requests,
 * when to stop, and what the responses say about the limit. No I/O and no clock: the shell
 * (`probe.ts`) runs each step against the real API and feeds the outcome back with {@link record}.
 *
 * The search, for an API that limits with a token bucket (refill rate R, burst B, both unknown):
 * 1. **Ramp**: send paced requests at `startRate` for one step, then double the rate (capped at
 *    `maxRate`) after every step that passed, until a step is *limited* (a 429, or rate-limit
 *    headers saying nothing is left). A 429 under paced requests proves R < rate: a bucket refilled
 *    faster than it is drained never empties. Passing steps prove nothing about R, because the
 *    unknown initial burst may have carried them.
 * 2. **Measure**: the bucket was empty at that first 429. Keep sending at the limited rate, pausing
 *    after every 429 for its Retry-After, until two 429s are `measureSeconds` apart (or the budget
 *    ends). The bucket was empty at both, so what it admitted in between is what it refilled:
 *    `R ≈ admitted / time` ({@link measuredRate}). The figure can only err low (by one request over
 *    the span, or by tokens lost when a pause let the bucket fill up to its burst), so it is a safe
 *    rate to configure.
 *
 * Why not bisect between the last passing and the first limited rate: with Retry-After pauses every
 * step after a 429 starts with up to `R × pause` tokens, and telling a rate 10 % above R from one just
 * below it then takes about `10 × R × pause` requests per step — far beyond a small hard cap. The
 * admitted count answers the same question with every request sent.
 *
 * The hard cap `maxRequests` is never exceeded: a step is shortened to the budget left, and the plan
 * stops when too little remains.
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
  /** Target length of one ramp step in seconds (> 0). */
  readonly stepSeconds: number
  /** Fewest requests in a ramp step (whole number >= 1). */
  readonly minStepRequests: number
  /** Measure until two 429s are at least this many seconds apart (> 0). */
  readonly measureSeconds: number
}

/**
 * Defaults: start at 1/s, up to 1,000/s, at most 200 requests, 1 s steps of >= 5 requests, measure
 * over 3 s.
 *
 * @since 0.1.0
 * @category models
 */
export const defaults: PlanOptions = {
  startRate: 1,
  maxRate: 1000,
  maxRequests: 200,
  stepSeconds: 1,
  minStepRequests: 5,
  measureSeconds: 3
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
    issues.push({ option: "maxRate", reason: `must be >= the start rate (${o.startRate}), got ${o.maxRate}` })
  }
  whole("maxRequests", o.maxRequests)
  positive("stepSeconds", o.stepSeconds)
  whole("minStepRequests", o.minStepRequests)
  positive("measureSeconds", o.measureSeconds)
  return issues
}

/**
 * Why the probe stopped.
 * - `measured`: two 429s far enough apart; the admitted rate between them is the estimate.
 * - `max-rate`: a step passed at `maxRate` without a 429; the limit (if any) is above what was tried.
 * - `budget`: the request cap was reached first (the estimate, if any, is a lower bound).
 * - `headers`: the API's rate-limit headers stated the limit (set by the shell).
 * - `trouble`: an error, an unexpected status, or a Retry-After too long to wait (set by the shell).
 *
 * @since 0.1.0
 * @category models
 */
export type StopReason = "measured" | "max-rate" | "budget" | "headers" | "trouble"

/**
 * One request of the probe: when it was sent (ms, any origin) and whether it was limited (429).
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample {
  readonly sentAt: number
  readonly limited: boolean
}

/**
 * What one step did, as the shell reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepOutcome {
  /** Requests actually sent in the step (the shell stops a step at its first 429). */
  readonly sent: number
  /** A 429, or headers saying the quota is used up. */
  readonly limited: boolean
  /** The step's requests, for the admitted-rate measurement. */
  readonly samples: ReadonlyArray<Sample>
}

/**
 * A step as recorded in the state.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepRecord {
  readonly phase: "ramp" | "measure"
  readonly rate: number
  readonly planned: number
  readonly sent: number
  readonly limited: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanState {
  readonly phase: "ramp" | "measure"
  /** The rate of the next step. */
  readonly rate: number
  /** Lowest rate that met a 429: the sustainable rate is below it (undefined: none yet). */
  readonly limitedAt: number | undefined
  /** Requests sent so far. */
  readonly sent: number
  readonly steps: ReadonlyArray<StepRecord>
  /** Requests from the first 429 on (the measurement window). */
  readonly window: ReadonlyArray<Sample>
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
  rate: Math.min(options.startRate, options.maxRate),
  limitedAt: undefined,
  sent: 0,
  steps: [],
  window: [],
  stopped: undefined
})

/**
 * Requests in a ramp step at `rate`: `max(minStepRequests, ceil(rate × stepSeconds))`.
 *
 * @since 0.1.0
 * @category planning
 */
export const stepSize = (rate: number, options: PlanOptions): number =>
  Math.max(options.minStepRequests, Math.ceil(rate * options.stepSeconds - 1e-9))

/**
 * The next action. Never plans more requests than `maxRequests - sent`.
 *
 * @since 0.1.0
 * @category planning
 */
export const next = (state: PlanState, options: PlanOptions): Next => {
  if (state.stopped !== undefined) return { _tag: "Done", reason: state.stopped }
  const left = options.maxRequests - state.sent
  if (state.phase === "measure") {
    // Measurement steps run to the next 429; any request left helps.
    if (left < 1) return { _tag: "Done", reason: "budget" }
    return { _tag: "Step", rate: state.rate, requests: Math.min(left, stepSize(state.rate, options) * 4) }
  }
  // A ramp step cut short by the cap could still meet a 429, but a pass would mean little.
  if (left < options.minStepRequests) return { _tag: "Done", reason: "budget" }
  return { _tag: "Step", rate: state.rate, requests: Math.min(stepSize(state.rate, options), left) }
}

const limitedSpan = (window: ReadonlyArray<Sample>): number => {
  const limited = window.filter((s) => s.limited)
  return limited.length < 2 ? 0 : limited[limited.length - 1]!.sentAt - limited[0]!.sentAt
}

/**
 * Fold the outcome of the step planned by {@link next} into the state.
 *
 * @since 0.1.0
 * @category planning
 */
export const record = (state: PlanState, outcome: StepOutcome, options: PlanOptions): PlanState => {
  if (state.stopped !== undefined) return state
  const planned = next(state, options)
  const step: StepRecord = {
    phase: state.phase,
    rate: state.rate,
    planned: planned._tag === "Step" ? planned.requests : 0,
    sent: outcome.sent,
    limited: outcome.limited
  }
  const firstLimited = outcome.samples.findIndex((s) => s.limited)
  const window = state.phase === "measure"
    ? [...state.window, ...outcome.samples]
    : firstLimited >= 0
    ? outcome.samples.slice(firstLimited)
    : []
  const base: PlanState = {
    ...state,
    sent: state.sent + outcome.sent,
    steps: [...state.steps, step],
    window,
    limitedAt: outcome.limited ? Math.min(state.limitedAt ?? state.rate, state.rate) : state.limitedAt
  }
  if (state.phase === "measure" || outcome.limited) {
    const measuring: PlanState = { ...base, phase: "measure" }
    if (limitedSpan(window) >= options.measureSeconds * 1000) return { ...measuring, stopped: "measured" }
    return next(measuring, options)._tag === "Done" ? { ...measuring, stopped: "budget" } : measuring
  }
  // A ramp step cut short without a 429 proves nothing: the same rate again (the budget ends it).
  if (outcome.sent < step.planned) return base
  if (state.rate >= options.maxRate) return { ...base, stopped: "max-rate" }
  const ramped: PlanState = { ...base, rate: Math.min(state.rate * 2, options.maxRate) }
  return next(ramped, options)._tag === "Done" ? { ...ramped, stopped: "budget" } : ramped
}

/**
 * Stop the plan for a reason found by the shell (`headers`, `trouble`).
 *
 * @since 0.1.0
 * @category planning
 */
export const stop = (state: PlanState, reason: StopReason): PlanState =>
  state.stopped !== undefined ? state : { ...state, stopped: reason }

/**
 * The rate the API admitted over `samples`, measured from its first 429 (requests per second): the
 * bucket was empty then, so the requests admitted after it, divided by the time from it to the last
 * request, is what the bucket refilled. When the last request was a 429 too (empty again) the figure
 * is the refill rate to within one request over the span; otherwise the bucket may still hold tokens
 * and it is a lower bound. Tokens lost to the burst cap during Retry-After pauses also make it low,
 * never high. `undefined` without a 429, or when the span is shorter than `minSpanMs`.
 *
 * @since 0.1.0
 * @category results
 */
export const measuredRate = (samples: ReadonlyArray<Sample>, minSpanMs = 1000): number | undefined => {
  const sorted = [...samples].sort((a, b) => a.sentAt - b.sentAt)
  const first = sorted.findIndex((s) => s.limited)
  if (first < 0) return undefined
  const span = sorted[sorted.length - 1]!.sentAt - sorted[first]!.sentAt
  if (!(span >= minSpanMs)) return undefined
  let admitted = 0
  for (let i = first + 1; i < sorted.length; i++) if (!sorted[i]!.limited) admitted++
  return admitted / (span / 1000)
}

/**
 * The estimate of the sustainable rate from the state: the measured admitted rate, capped below the
 * lowest rate that met a 429 (which is a proven upper bound).
 *
 * @since 0.1.0
 * @category results
 */
export const estimate = (state: PlanState): number | undefined => {
  const measured = measuredRate(state.window)
  if (measured === undefined) return undefined
  return state.limitedAt === undefined ? measured : Math.min(measured, state.limitedAt)
}

/**
 * The highest rate a ramp step passed at (evidence, not proof: an initial burst may have carried it).
 *
 * @since 0.1.0
 * @category results
 */
export const highestPassed = (state: PlanState): number | undefined => {
  const rates = state.steps.filter((s) => s.phase === "ramp" && !s.limited && s.sent > 0).map((s) => s.rate)
  return rates.length === 0 ? undefined : Math.max(...rates)
}

/**
 * How far to trust {@link estimate}: `"measured"` when the window ends on a 429 (the bucket was
 * empty at both ends), `"lower-bound"` when it ends on an admitted request (tokens may be left).
 *
 * @since 0.1.0
 * @category results
 */
export const estimateKind = (state: PlanState): "measured" | "lower-bound" | undefined => {
  if (estimate(state) === undefined) return undefined
  const last = [...state.window].sort((a, b) => a.sentAt - b.sentAt).at(-1)
  return last?.limited === true ? "measured" : "lower-bound"
}
