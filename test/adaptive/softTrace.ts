/**
 * Diagnostic (not in the suite): one seed's life around bare 503s: each limiter rejection (when sent,
 * the phase and pace then), each phase or pace change, each soft trial's start and verdict.
 * `npx tsx test/adaptive/softTrace.ts <net> <scenario> <seed> <row> [from s]`
 */
import { cellOf, type Net, rows, type ScenarioId } from "./matrix.js"
import { simulate } from "./simulation.js"
const [net = "local", scenario = "d", seed = "1", filter = "gcra b5 503", from = "0"] = process.argv.slice(2)
const row = rows.find((r) => r.name === filter)!
const cell = cellOf(row, scenario as ScenarioId, net as Net, "adaptive")
const f = (x: number) => (x / 1000).toFixed(2)
const ph = (p: string) => (p === "slow-start" ? "S" : p === "hold" ? "H" : p[0])
const res = simulate({
  ...cell, seed: Number(seed),
  trace: (t, status, b, a, sentAt, limited) => {
    if (t < Number(from) * 1000) return
    const ev: Array<string> = []
    if (limited) ev.push(`REJ sent ${f(sentAt)}`)
    else if (status === 503) ev.push(`noise sent ${f(sentAt)}`)
    if (a.lastDecreaseAt !== b.lastDecreaseAt) ev.push(`WALL soft=${a.softWall}`)
    if (a.phase !== b.phase) ev.push(`${ph(b.phase)}->${ph(a.phase)}`)
    if (Math.abs(a.rate - b.rate) > 0.005 * b.rate) ev.push(`rate ${b.rate.toFixed(1)}->${a.rate.toFixed(1)}`)
    const bt = b.softTrial?.trial ?? null, at = a.softTrial?.trial ?? null
    if (bt === null && at !== null) ev.push(`TRIAL share ${at.share.toFixed(3)} usual ${at.usual.toFixed(3)} (w ${a.softTrial!.k}/${a.softTrial!.n})`)
    if (bt !== null && at === null) ev.push(`VERDICT trial ${bt.k}/${bt.n}`)
    if (ev.length > 0) console.log(`${f(t)} ${ph(a.phase)} r${a.rate.toFixed(1)} c${a.ceiling?.toFixed(1) ?? "-"} base ${a.soft.baseline.toFixed(3)} rec ${a.soft.recent.toFixed(3)}: ${ev.join(", ")}`)
  }
})
console.log(`goodput ${res.goodputPct.toFixed(1)}% rej ${res.r429Pct.toFixed(2)}%`)
