/**
 * `npm run bench` runs every group; `npm run bench -- GROUP [GROUP…]` runs the named ones.
 * The last line printed is always one JSON object of flat figures.
 */
import type { BenchGroup } from "./harness.js"
import { printTable } from "./harness.js"
import { groups } from "./groups.js"

const selected = process.argv.slice(2).filter((a) => !a.startsWith("-"))
const unknown = selected.filter((name) => !groups.some((g) => g.name === name))
if (unknown.length > 0) {
  console.error(`Unknown bench group(s): ${unknown.join(", ")}. Known: ${groups.map((g) => g.name).join(", ")}`)
  process.exit(2)
}
const toRun: ReadonlyArray<BenchGroup> = selected.length === 0 ? groups : groups.filter((g) => selected.includes(g.name))

const figures: Record<string, number> = {}
for (const group of toRun) {
  const result = await group.run()
  printTable(group, result.rows)
  Object.assign(figures, result.figures)
}
console.log(JSON.stringify(figures))
process.exit(0)
