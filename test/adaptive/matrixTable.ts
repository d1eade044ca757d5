/**
 * Prints the simulated families × scenarios matrix (not part of the suite):
 * `npx tsx test/adaptive/matrixTable.ts [local|delayed|lagged|cold|blocked|all] [row filter] [--seeds=N]`
 * (the nets of `nets` in `matrix.ts`; `all`, the default, runs the gate's, `gateNets`).
 * Each cell: goodput % of the hidden limit / 429s % of requests sent / ratio to the oracle, the mean
 * over seeds 1..N (default 1).
 */
import { gateNets, measure, measureMean, type Net, nets, rows, scenarios } from "./matrix.js"

const flags = process.argv.slice(2).filter((a) => a.startsWith("--"))
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const seeds = Number(flags.find((f) => f.startsWith("--seeds="))?.slice(8) ?? 1)
const nets_ = (args[0] === undefined || args[0] === "all" ? gateNets : [args[0]]) as Array<Net>
const filter = args[1]
const fmt = (x: number, d = 1) => x.toFixed(d)
let minGoodput = Infinity, minVs = Infinity, max429 = 0, minNoise = Infinity
for (const net of nets_) {
  const cold = nets[net].coldStartMs === undefined ? "" : `, no answer before ${nets[net].coldStartMs} ms`
  const b = nets[net].blocks
  const blocks = b === undefined ? "" : `, event loop blocked up to ${b.maxMs} ms every ~${b.everyMs} ms`
  console.log(`\n${net}: ${nets[net].fibers} fibers, delay ${nets[net].delayMs.join("-")} ms each way${cold}${blocks}`)
  console.log(["family".padEnd(24), ...scenarios.map((s) => s.label.padEnd(22))].join(" | "))
  for (const row of rows) {
    if (filter !== undefined && !row.name.includes(filter)) continue
    const cols = scenarios.map((s) => {
      const m = measureMean(row, s.id, net, seeds)
      const n = row.clean === undefined ? undefined : measure(row, s.id, net).noiseVsClean
      minGoodput = Math.min(minGoodput, m.goodputPct)
      minVs = Math.min(minVs, m.vsOracle)
      max429 = Math.max(max429, m.r429Pct)
      if (n !== undefined) minNoise = Math.min(minNoise, n)
      const bad = m.goodputPct < 95 || m.vsOracle < 0.97 || m.r429Pct > 1 ? "*" : " "
      const noise = n === undefined ? "" : ` n${fmt(n, 2)}`
      return `${bad}${fmt(m.goodputPct)}/${fmt(m.r429Pct, 2)}/${fmt(m.vsOracle, 2)}${noise}`.padEnd(22)
    })
    console.log([row.name.padEnd(24), ...cols].join(" | "))
  }
}
console.log(`\nmin goodput ${fmt(minGoodput)}%, min vs oracle ${fmt(minVs, 3)}, max 429 ${fmt(max429, 2)}%, min noise/clean ${fmt(minNoise, 3)}`)
