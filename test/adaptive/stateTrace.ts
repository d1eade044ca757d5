/**
 * Prints one seed's controller state at each wall and each change of phase or rate after `from` s (not
 * part of the suite): `npx tsx test/adaptive/stateTrace.ts <net> <scenario> <seed> "<row>" [from]`.
 * Beside `wallsTrace.ts`'s walls, the inputs of each decision: the ceiling and the range left open,
 * the burst read at a limit change (`burstS`), the cycles kept for the fit (f/e: from a full or an
 * empty bucket, and their length in s), when a wall there stops being evidence (`settled`) and the
 * next probe.
 */
import { cellOf, type Net, rows, type ScenarioId } from "./matrix.js"
import { simulate } from "./simulation.js"

const [net = "local", scenario = "d", seed = "1", name = "bucket 0.1s RA=s", from = "0"] = process.argv.slice(2)
const row = rows.find((r) => r.name === name)
if (row === undefined) throw new Error(`no row ${name}`)
const T0 = 1_700_000_000_000
const f = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(1))
const at = (ms: number) => ((ms - T0) / 1000).toFixed(2)
let last = ""
const res = simulate({
  ...cellOf(row, scenario as ScenarioId, net as Net, "adaptive"),
  seed: Number(seed),
  trace: (t, status, b, a, sentAt) => {
    if (t < Number(from) * 1000) return
    const key = `${a.phase} ${a.rate.toFixed(2)} ceiling ${f(a.ceiling)} high ${f(a.ceilingHigh)}`
    if (status === 200 && key === last) return
    last = key
    const wall = status !== 200 && a.cooldownUntil > b.cooldownUntil + 100 ? " WALL" : ""
    const cycles = a.cycles.map((c) => `${c.start[0]}${((c.wallAt - c.resumeAt) / 1000).toFixed(2)}`).join(",")
    const burst = a.burstS?.map((x) => x.toFixed(2)).join("-") ?? "-"
    console.log(
      `${(t / 1000).toFixed(3)} ${status} sent ${(sentAt / 1000).toFixed(3)}${wall} ${b.phase} -> ${key} burstS ${burst} cycles ${cycles} ` +
        `settled ${at(a.settledAt)} probe ${at(a.probeAt)}${a.stray === null ? "" : " stray"} successes ${b.successesSinceDecrease}`
    )
  }
})
console.log(`goodput ${res.goodputPct.toFixed(1)}%`)
