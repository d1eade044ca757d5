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
const b05 = bucket(0.5)
const g503: Server = { family: { _tag: "gcra", burst: 5 }, retryAfter: "none", headers: "none", status: 503 }

export const rows: ReadonlyArray<Row> = [
  { name: "bucket 0.1s RA=s", server: bucket(0.1) },
  { name: "bucket 0.2s RA=s", server: b02 },
  { name: "bucket 0.5s RA=s", server: b05 },
  { name: "bucket 1s RA=s", server: bucket(1) },
  { name: "bucket 2s RA=s", server: bucket(2) },
  { name: "bucket 0.2s RA=precise", server: bucket(0.2, "precise") },
  { name: "bucket 0.2s RA=date", server: bucket(0.2, "http-date") },
  { name: "bucket 0.5s RA=date", server: bucket(0.5, "http-date") },
  { name: "bucket 0.2s RA=none", server: bucket(0.2, "none") },
  { name: "bucket 1s RA=none", server: bucket(1, "none") },
  { name: "sliding 1s RA=s", server: { family: { _tag: "sliding", windowMs: 1000 }, retryAfter: "seconds", headers: "none" } },
  { name: "fixed 10s RA=s", server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "seconds", headers: "none" } },
  { name: "gcra b5 429", server: { family: { _tag: "gcra", burst: 5 }, retryAfter: "none", headers: "none", status: 429 } },
  { name: "gcra b5 503", server: g503 },
  { name: "noise .05 bucket 0.2s", server: { ...b02, noise: 0.05 }, clean: b02 },
  { name: "noise .2 bucket 0.2s", server: { ...b02, noise: 0.2 }, clean: b02 },
  // The bench's tb-500ms-noise20.
  { name: "noise .2 bucket 0.5s", server: { ...b05, noise: 0.2 }, clean: b05 },
  // Random 5xx on a server whose own wall is a bare 503: once it was seen, noise must still not lower the rate.
  { name: "noise .05 gcra b5 503", server: { ...g503, noise: 0.05 }, clean: g503 },
  { name: "noise .2 gcra b5 503", server: { ...g503, noise: 0.2 }, clean: g503 },
  { name: "hdr bucket 1s ietf", server: bucket(1, "seconds", "ietf") },
  { name: "hdr bucket 0.2s xrl", server: bucket(0.2, "seconds", "x-ratelimit") },
  { name: "hdr fixed 1s xrl", server: { family: { _tag: "fixed", windowMs: 1000 }, retryAfter: "seconds", headers: "x-ratelimit" } },
  // The bench's fw-1s-draft7: the window stated (`w`), so the window gate keeps it.
  { name: "hdr fixed 1s ietf", server: { family: { _tag: "fixed", windowMs: 1000 }, retryAfter: "seconds", headers: "ietf" } },
  { name: "hdr fixed 10s xrl", server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "seconds", headers: "x-ratelimit" } },
  // The bench's fw-10s-draft6 (express-rate-limit v6): IETF draft-6 fields beside X-RateLimit-* (epoch reset).
  { name: "hdr fixed 10s draft6", server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "seconds", headers: "draft6-epoch" } },
  { name: "hdr fixed 60s ietf", server: { family: { _tag: "fixed", windowMs: 60_000 }, retryAfter: "seconds", headers: "ietf" } },
  // GitHub's primary limit (the bench's github-403): 403 with X-RateLimit-Remaining: 0, no Retry-After.
  {
    name: "hdr fixed 10s 403 epoch",
    server: { family: { _tag: "fixed", windowMs: 10_000 }, retryAfter: "none", headers: "x-ratelimit-epoch", status: 403 }
  },
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
/**
 * The server's stalls: calibrated on the bench's idle-machine run, where the same controller got
 * 75.6 / 68.8 / 91.8 / 75.1% against a 0.1 s bucket (simulated 82 / 80 / 77 / 76), 98.6 / 96.0 / 84.8
 * / 93.3% against 0.5 s (98.5 / 95.4 / 84.1 / 92.0) and 98.9 / 99.5 / 93.9 / 101.6% against 2 s (98.5 /
 * 100.4 / 93.6 / 101.6): without them the simulation met no wall on a plateau 1% below a 0.1 s
 * bucket (98%), the bench one every ~15 s.
 */
const STALL = { p: 0.005, maxMs: 150 }

/**
 * The full real-time bench's event loop (`blocked`): six cells side by side, each three clients and
 * their servers, on one loop (lag p99 ~40 ms). Blocked so by a busy loop (`traceCell.ts`'s third
 * argument, every 30 ms for up to 40 ms), a sliding log alone went from 83.9-94.5 to 72.8-77.6% with
 * the docs overstated (the bench's 70.6; 0 or 1 wall in the measured window; a shared machine, load
 * ~10 on 2 cores), on plateaus of 43-47 and ~3 stall-gate pauses a second. Its round trip on a loaded
 * machine is tens of ms though both ends are local (traced 20-150 ms): 5-25 ms each way here. With
 * 1-2 ms a 0.1 s bucket met no bad mode (97.6 / 93.4% docs right / overstated, 8 seeds); with 5-25 it
 * is bimodal as in the bench (65-98%, the bench's 92.1 / 81.9-91.2), and the log's too (51-93%).
 */
const BLOCKS = { everyMs: 30, maxMs: 40 }

export type Net = "local" | "delayed" | "lagged" | "cold" | "blocked" | "bench"

/**
 * The bench's client starting cold (`cold`): its first answers came 200-450 ms after the start
 * (connections opened, code run for the first time, on a machine shared with the other clients), and
 * its slow start sent 0.68-0.70 of what its pace said over the ~3 s to its first wall (traced,
 * `traceCell.ts`, docs overstated): the local net's slow start sends all of it. Here no answer comes
 * before 300 ms (0.55 of the pace at the first wall). The docs overstated, it moved the local cells
 * toward the bench's (0.2 s bucket 97.6 -> 80.8%, 0.5 s 96.3 -> 92.6 for the bench's 92.5, HTTP-date
 * 0.5 s 94.5 -> 89.5 for 75.9-86.6, nginx 503 97.3 -> 92.6 for 83.2-97.2; 3 seeds).
 */
const COLD_START_MS = 300

/**
 * Every net has the event-loop lag of the bench's loaded machine (a 1% chance of a stall of up to
 * 100 ms per limiter wait) and the server's stalls; `lagged` is the bench's delayed families there,
 * the lag adding to the delay; `cold` is `local` with the bench's cold client (`COLD_START_MS`).
 */
export const nets: Record<Net, Pick<Cell, "fibers" | "delayMs" | "lag" | "stall" | "coldStartMs" | "blocks" | "composed">> = {
  local: { fibers: 8, delayMs: [1, 2], lag: LAG, stall: STALL },
  delayed: { fibers: 32, delayMs: [50, 100], lag: LAG, stall: STALL },
  lagged: { fibers: 32, delayMs: [100, 300], lag: LAG, stall: STALL },
  cold: { fibers: 8, delayMs: [1, 2], lag: LAG, stall: STALL, coldStartMs: COLD_START_MS },
  blocked: { fibers: 8, delayMs: [5, 25], lag: LAG, stall: STALL, blocks: BLOCKS },
  bench: { fibers: 8, delayMs: [1, 2], lag: LAG, stall: STALL, composed: true }
}

/** The nets the gate runs (`all`): `bench` is `local` with the composed client's retries (`Cell.composed`), for comparison. */
export const gateNets: ReadonlyArray<Net> = ["local", "delayed", "lagged", "cold", "blocked"]

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

export const measure = (row: Row, scenario: ScenarioId, net: Net, config?: Partial<Aimd.AimdConfig>, seed?: number, tail?: Cell["tail"]): Measured => {
  const seeded = (cell: Cell): Cell => ({ ...cell, ...(seed === undefined ? {} : { seed }), ...(tail === undefined ? {} : { tail }) })
  const adaptive = simulate(seeded(cellOf(row, scenario, net, "adaptive", row.server, config)))
  const oracle = simulate(seeded(cellOf(row, scenario, net, "oracle")))
  const base = { adaptive, oracle, vsOracle: adaptive.admittedPerS / oracle.admittedPerS }
  if (row.clean === undefined) return base
  const clean = simulate(seeded(cellOf(row, scenario, net, "adaptive", row.clean, config)))
  return { ...base, noiseVsClean: adaptive.admittedPerS / clean.admittedPerS }
}

export interface Mean {
  readonly goodputPct: number
  readonly vsOracle: number
  readonly r429Pct: number
}

/** The mean over seeds `1..seeds`: one run is one draw of the stalls, and one wall more or less moves it ~5%. */
export const measureMean = (row: Row, scenario: ScenarioId, net: Net, seeds: number, config?: Partial<Aimd.AimdConfig>, tail?: Cell["tail"]): Mean => {
  let goodputPct = 0, vsOracle = 0, r429Pct = 0
  for (let seed = 1; seed <= seeds; seed++) {
    const m = measure(row, scenario, net, config, seed, tail)
    goodputPct += m.adaptive.goodputPct / seeds
    vsOracle += m.vsOracle / seeds
    r429Pct += m.adaptive.r429Pct / seeds
  }
  return { goodputPct, vsOracle, r429Pct }
}

