/**
 * The families × scenarios matrix of the pure simulation, shared by the deterministic tests and
 * the table script (`npx tsx test/adaptive/matrixTable.ts`).
 */
import type * as Aimd from "../../src/adaptive/aimd.js"
import { type Cell, type Result, type Server, simulate } from "./simulation.js"

export interface Row {
  readonly name: string
  readonly server: Server
  /** The same server without noise, for `noise_vs_clean`. */
  readonly clean?: Server
}

const bucket = (burstS: number, retryAfter: Server["retryAfter"] = "seconds", headers: Server["headers"] = "none"): Server => ({
  family: { _tag: "bucket", burstS },
  retryAfter,
  headers
})

const b02 = bucket(0.2)

export const rows: ReadonlyArray<Row> = [
  { name: "bucket 0.1s RA=s", server: bucket(0.1) },
  { name: "bucket 0.2s RA=s", server: b02 },
  { name: "bucket 1s RA=s", server: bucket(1) },
  { name: "bucket 2s RA=s", server: bucket(2) },
  { name: "bucket 0.2s RA=precise", server: bucket(0.2, "precise") },
  { name: "bucket 0.2s RA=date", server: bucket(0.2, "http-date") },
  { name: "bucket 0.2s RA=none", server: bucket(0.2, "none") },
  { name: "bucket 1s RA=none", server: bucket(1, "none") },
  { name: "sliding 1s RA=s", server: { family: { _tag: "sliding", windowMs: 1000 }, retryAfter: "seconds", headers: "none" } },
  { name: "fixed 10s RA=s", server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "seconds", headers: "none" } },
  { name: "gcra b5 429", server: { family: { _tag: "gcra", burst: 5 }, retryAfter: "none", headers: "none", status: 429 } },
  { name: "gcra b5 503", server: { family: { _tag: "gcra", burst: 5 }, retryAfter: "none", headers: "none", status: 503 } },
  { name: "noise .05 bucket 0.2s", server: { ...b02, noise: 0.05 }, clean: b02 },
  { name: "noise .2 bucket 0.2s", server: { ...b02, noise: 0.2 }, clean: b02 },
  { name: "hdr bucket 1s ietf", server: bucket(1, "seconds", "ietf") },
  { name: "hdr bucket 0.2s xrl", server: bucket(0.2, "seconds", "x-ratelimit") },
  { name: "hdr fixed 1s xrl", server: { family: { _tag: "fixed", windowMs: 1000 }, retryAfter: "seconds", headers: "x-ratelimit" } },
  { name: "hdr fixed 10s xrl", server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "seconds", headers: "x-ratelimit" } },
  { name: "hdr fixed 60s ietf", server: { family: { _tag: "fixed", windowMs: 60_000 }, retryAfter: "seconds", headers: "ietf" } },
  { name: "hdr sliding 1s ietf", server: { family: { _tag: "sliding", windowMs: 1000 }, retryAfter: "seconds", headers: "ietf" } }
]

export type ScenarioId = "a" | "b" | "c" | "d"

export const scenarios: ReadonlyArray<{ readonly id: ScenarioId; readonly label: string; readonly documented: number }> = [
  { id: "a", label: "docs accurate (50)", documented: 50 },
  { id: "b", label: "docs overstate 2x (100)", documented: 100 },
  { id: "c", label: "docs understate 5x (10)", documented: 10 },
  { id: "d", label: "limit drops 50 -> 20", documented: 50 }
]

const LAG = { p: 0.01, maxMs: 100 }

export type Net = "local" | "delayed" | "lagged"

/**
 * Every net has the event-loop lag of the bench's loaded machine (a 1% chance of a stall of up to
 * 100 ms per limiter wait); `lagged` is the bench's delayed families there, the lag adding to the delay.
 */
export const nets: Record<Net, Pick<Cell, "fibers" | "delayMs" | "lag">> = {
  local: { fibers: 8, delayMs: [1, 2], lag: LAG },
  delayed: { fibers: 32, delayMs: [50, 100], lag: LAG },
  lagged: { fibers: 32, delayMs: [100, 300], lag: LAG }
}

const windowOf = (s: Server): number =>
  s.family._tag === "fixed" || s.family._tag === "sliding" ? s.family.windowMs : 1000

export const cellOf = (row: Row, scenario: ScenarioId, net: Net, client: Cell["client"], server = row.server, config?: Partial<Aimd.AimdConfig>): Cell => {
  const w = windowOf(server)
  // Measured over whole windows: a fixed window's quota is all or nothing of it.
  const whole = (ms: number) => Math.ceil(ms / w) * w
  const warmupMs = whole(server.headers !== "none" ? 1000 : 5000)
  const drop = whole(Math.max(10_000, w + 5000))
  const durationMs = scenario === "d" ? drop + whole(Math.max(30_000, 2 * w)) : warmupMs + whole(Math.max(15_000, 2 * w))
  return {
    server,
    documented: scenarios.find((s) => s.id === scenario)!.documented,
    hiddenAt: scenario === "d" ? (t) => (t < drop ? 50 : 20) : () => 50,
    ...nets[net],
    durationMs,
    warmupMs,
    client,
    ...(config === undefined ? {} : { config })
  }
}

export interface Measured {
  readonly adaptive: Result
  readonly oracle: Result
  readonly vsOracle: number
  /** Admitted per second with the noise ÷ without it (noise rows only). */
  readonly noiseVsClean?: number
}

export const measure = (row: Row, scenario: ScenarioId, net: Net, config?: Partial<Aimd.AimdConfig>, seed?: number): Measured => {
  const seeded = (cell: Cell): Cell => (seed === undefined ? cell : { ...cell, seed })
  const adaptive = simulate(seeded(cellOf(row, scenario, net, "adaptive", row.server, config)))
  const oracle = simulate(seeded(cellOf(row, scenario, net, "oracle")))
  const base = { adaptive, oracle, vsOracle: adaptive.admittedPerS / oracle.admittedPerS }
  if (row.clean === undefined) return base
  const clean = simulate(seeded(cellOf(row, scenario, net, "adaptive", row.clean, config)))
  return { ...base, noiseVsClean: adaptive.admittedPerS / clean.admittedPerS }
}
