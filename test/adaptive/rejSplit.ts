/**
 * Diagnostic (not in the suite): a cell's rejections split by when they were sent: before the first
 * rejection's answer came back (in flight, unavoidable), before the first wall's answer (the bar's
 * wait), and after it. `npx tsx test/adaptive/rejSplit.ts <net> <scenario> <seeds> <row>`
 */
import { cellOf, type Net, rows, type ScenarioId } from "./matrix.js"
import { simulate } from "./simulation.js"
const [net = "lagged", scenario = "c", seeds = "3", filter = "gcra b5 503"] = process.argv.slice(2)
let inFlight = 0, bar = 0, after = 0, sentW = 0
for (const row of rows.filter((r) => r.name === filter)) {
  for (let seed = 1; seed <= Number(seeds); seed++) {
    const cell = cellOf(row, scenario as ScenarioId, net as Net, "adaptive")
    const from = scenario === "d" ? 10_000 : 0
    let firstAns = Infinity, firstWall = Infinity
    const sent: Array<number> = []
    const res = simulate({
      ...cell, seed,
      trace: (t, _status, before, after, sentAt, limited) => {
        if (limited && sentAt >= from && firstAns === Infinity) firstAns = t
        if (sentAt >= from && after.lastDecreaseAt !== before.lastDecreaseAt && firstWall === Infinity) firstWall = t
        if (limited && sentAt >= cell.warmupMs) sent.push(sentAt)
      }
    })
    const a = sent.filter((x) => x < firstAns).length, b = sent.filter((x) => x >= firstAns && x < firstWall).length
    const c = sent.length - a - b
    inFlight += a, bar += b, after += c, sentW += res.sentW
    console.log(`${row.name} ${net} ${scenario} seed ${seed}: ${res.r429Pct.toFixed(2)}% = ${sent.length}/${res.sentW}: in flight ${a}, bar ${b}, after wall ${c} (1st 503 back ${(firstAns / 1000).toFixed(2)} s, 1st wall ${(firstWall / 1000).toFixed(2)} s)`)
  }
}
const pct = (x: number) => ((100 * x) / sentW).toFixed(2)
console.log(`total: in flight ${pct(inFlight)}%, bar ${pct(bar)}%, after the wall ${pct(after)}%`)
