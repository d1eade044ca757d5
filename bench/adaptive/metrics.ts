/**
 * The matrix's arithmetic, pure: server counters sampled at the start and the end of the measured
 * window, and the hidden limit in force over it.
 *
 * - goodput: requests the server's limiter admitted in the window (injected 5xx and resets included:
 *   they passed the limiter) ÷ the integral of the hidden rate over the window, in %;
 * - r429: limiter rejections ÷ requests that reached the limiter in the window, in %, whatever the
 *   rejection's status (429, nginx's 503, GitHub's 403).
 */

/** Server counters at one instant (epoch ms on the cell's clock). */
export interface Sample {
  readonly at: number
  /** Passed the limiter: answered, failed on purpose (random 5xx) or reset. */
  readonly admitted: number
  /** Rejected by the limiter. */
  readonly rejected: number
  /** Reached the limiter. */
  readonly total: number
}

/** The hidden rate from `at` on (until the next change); the first entry's `at` may be `-Infinity`. */
export interface LimitChange {
  readonly at: number
  readonly rate: number
}

/** Requests the hidden limit allows over [from, to]: the integral of the rate schedule (sorted by `at`). */
export const allowed = (schedule: ReadonlyArray<LimitChange>, from: number, to: number): number => {
  let sum = 0
  for (let i = 0; i < schedule.length; i++) {
    const start = Math.max(from, schedule[i]!.at)
    const end = Math.min(to, schedule[i + 1]?.at ?? Infinity)
    if (end > start) sum += (schedule[i]!.rate * (end - start)) / 1000
  }
  return sum
}

export interface Measured {
  readonly goodputPct: number
  readonly r429Pct: number
  /** Requests per second the limiter let through (random 5xx included). */
  readonly admittedPerS: number
  readonly admitted: number
  readonly rejected: number
  readonly sent: number
}

export const measure = (w0: Sample, w1: Sample, schedule: ReadonlyArray<LimitChange>): Measured => {
  const admitted = w1.admitted - w0.admitted
  const rejected = w1.rejected - w0.rejected
  const sent = w1.total - w0.total
  const seconds = (w1.at - w0.at) / 1000
  return {
    goodputPct: (admitted / allowed(schedule, w0.at, w1.at)) * 100,
    r429Pct: sent === 0 ? 0 : (rejected / sent) * 100,
    admittedPerS: seconds > 0 ? admitted / seconds : 0,
    admitted,
    rejected,
    sent
  }
}

/** Goodput relative to the oracle's in the same cell (1 = as good as a limiter told the truth). */
export const vsOracle = (ours: Measured, oracle: Measured): number => ours.goodputPct / oracle.goodputPct

const min = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? NaN : Math.min(...xs))
const max = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? NaN : Math.max(...xs))

/** One measured cell, reduced to what the summary needs. */
export interface CellFigures {
  readonly family: string
  readonly scenario: string
  readonly ours: Measured
  readonly oracle: Measured
}

/**
 * The summary over every cell: the worst goodput, ratio to the oracle and 429 share of the composed
 * client, and `noiseVsClean`: the worst ratio of what the limiter let through (5xx included) for the
 * composed client against a noisy family and against its clean twin, same scenario.
 */
export const summarize = (
  cells: ReadonlyArray<CellFigures>,
  noiseTwins: ReadonlyArray<{ readonly noisy: string; readonly clean: string }>
) => {
  const ratios = noiseTwins.flatMap(({ clean, noisy }) =>
    cells
      .filter((c) => c.family === noisy)
      .flatMap((n) => {
        const twin = cells.find((c) => c.family === clean && c.scenario === n.scenario)
        return twin === undefined ? [] : [n.ours.admittedPerS / twin.ours.admittedPerS]
      })
  )
  return {
    minGoodputPct: min(cells.map((c) => c.ours.goodputPct)),
    minVsOracle: min(cells.map((c) => vsOracle(c.ours, c.oracle))),
    maxR429Pct: max(cells.map((c) => c.ours.r429Pct)),
    noiseVsClean: min(ratios)
  }
}
