/**
 * Prints the simulated families × scenarios matrix (not part of the suite):
 * `npx tsx test/adaptive/matrixTable.ts [local|delayed] [row filter]`.
 * Each cell: goodput % of the hidden limit / 429s % of requests sent / ratio to the oracle.
 */
import { measure, type Net, nets, rows, scenarios } from "./matrix.js"

const nets_ = (process.argv[2] === undefined ? Object.keys(nets) : [process.argv[2]]) as Array<Net>
const filter = process.argv[3]
const fmt = (x: number, d = 1) => x.toFixed(d)
let minGoodput = Infinity, minVs = Infinity, max429 = 0, minNoise = Infinity
for (const net of nets_) {
  console.log(`\n${net}: ${nets[net].fibers} fibers, delay ${nets[net].delayMs.join("-")} ms each way`)
  console.log(["family".padEnd(24), ...scenarios.map((s) => s.label.padEnd(22))].join(" | "))
  for (const row of rows) {
    if (filter !== undefined && !row.name.includes(filter)) continue
    const cols = scenarios.map((s) => {
      const m = measure(row, s.id, net)
      minGoodput = Math.min(minGoodput, m.adaptive.goodputPct)
      minVs = Math.min(minVs, m.vsOracle)
      max429 = Math.max(max429, m.adaptive.r429Pct)
      if (m.noiseVsClean !== undefined) minNoise = Math.min(minNoise, m.noiseVsClean)
      const bad = m.adaptive.goodputPct < 95 || m.vsOracle < 0.97 || m.adaptive.r429Pct > 1 ? "*" : " "
      const noise = m.noiseVsClean === undefined ? "" : ` n${fmt(m.noiseVsClean, 2)}`
      return `${bad}${fmt(m.adaptive.goodputPct)}/${fmt(m.adaptive.r429Pct, 2)}/${fmt(m.vsOracle, 2)}${noise}`.padEnd(22)
    })
    console.log([row.name.padEnd(24), ...cols].join(" | "))
  }
}
console.log(`\nmin goodput ${fmt(minGoodput)}%, min vs oracle ${fmt(minVs, 3)}, max 429 ${fmt(max429, 2)}%, min noise/clean ${fmt(minNoise, 3)}`)
