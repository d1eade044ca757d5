/**
 * The scenarios of the adaptive matrix: what the documentation says against the hidden limit, and
 * whether that limit changes mid-run. Every scenario warms up 5 s and is measured after that.
 */

/** The hidden limit, requests per second, in every scenario (before a drop). */
export const HIDDEN = 50

export interface Scenario {
  /** Key segment of the JSON figures (`adaptive.<family>.<name>.…`). */
  readonly name: string
  readonly label: string
  /** The documented limit: the composed client's `initialRate`, the seed AIMD's start. */
  readonly documented: number
  /** The hidden limit at the start. */
  readonly hidden: number
  /** Measurement starts this long after the clients start. */
  readonly warmupMs: number
  /** The run (and the measurement) ends this long after the clients start. */
  readonly durationMs: number
  /** The hidden limit becomes `rate` at `atMs` after the start (the oracle follows at once). */
  readonly drop?: { readonly atMs: number; readonly rate: number }
}

const WARMUP_MS = 5_000
/** Measured after the warm-up in a scenario without a change. */
const MEASURE_MS = 15_000
/** A drop comes 5 s after the warm-up and is measured for 30 s after it (one Retry-After pause is ~3%). */
const DROP_AT_MS = 10_000
const AFTER_DROP_MS = 30_000

export const accurate: Scenario = {
  name: "accurate",
  label: "docs accurate (50)",
  documented: HIDDEN,
  hidden: HIDDEN,
  warmupMs: WARMUP_MS,
  durationMs: WARMUP_MS + MEASURE_MS
}

export const overstate: Scenario = { ...accurate, name: "overstate-2x", label: "docs overstate 2x (100)", documented: 2 * HIDDEN }

export const understate: Scenario = { ...accurate, name: "understate-5x", label: "docs understate 5x (10)", documented: HIDDEN / 5 }

export const drop: Scenario = {
  ...accurate,
  name: "drop-50-20",
  label: "limit drops 50 -> 20",
  durationMs: DROP_AT_MS + AFTER_DROP_MS,
  drop: { atMs: DROP_AT_MS, rate: 20 }
}

export const all: ReadonlyArray<Scenario> = [accurate, overstate, understate, drop]
