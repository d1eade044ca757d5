/**
 * Prints, per seed, each wall that cost a pause (not part of the suite): when (s), the phase before
 * and after (S slow-start, H hold, s steady, p probe) and the rate resumed at, beside the seed's goodput:
 * `npx tsx test/adaptive/wallsTrace.ts <net> <scenario> <seeds> [row filter]`. Shows which walls
 * land after the warm-up (the hold's, a stray one, a probe's) and which fits set them up.
 */
import { cellOf, type Net, rows, type ScenarioId } from "./matrix.js"
import { simulate } from "./simulation.js"

const letter = (phase: string) => (phase === "slow-start" ? "S" : phase === "hold" ? "H" : phase[0])
const [net = "local", scenario = "c", seeds = "3", filter] = process.argv.slice(2)
for (const row of rows.filter((r) => filter === undefined || r.name.includes(filter))) {
  const lines: Array<string> = []
  let sum = 0
  for (let seed = 1; seed <= Number(seeds); seed++) {
    const walls: Array<string> = []
    const res = simulate({
      ...cellOf(row, scenario as ScenarioId, net as Net, "adaptive"),
      seed,
      trace: (t, status, before, after) => {
        if (status !== 200 && after.cooldownUntil > before.cooldownUntil + 100) {
          walls.push(`${(t / 1000).toFixed(1)}${letter(before.phase)}${letter(after.phase)}${after.rate.toFixed(0)}`)
        }
      }
    })
    sum += res.goodputPct
    lines.push(`  seed ${seed} ${res.goodputPct.toFixed(1)}%: ${walls.join(" ")}`)
  }
  console.log(`${row.name} (${net} ${scenario}) mean ${(sum / Number(seeds)).toFixed(1)}%\n${lines.join("\n")}`)
}
