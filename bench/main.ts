/**
 * `npm run bench` runs every group; `npm run bench -- GROUP [GROUP…]` runs the named ones; `--quick`
 * asks the groups that have one for a shorter subset.
 * The last line printed is always one JSON object of flat figures.
 *
 * The script bundles the benches with esbuild and runs plain JavaScript, as users run the compiled
 * package: under tsx every closure the library creates per call is wrapped in a naming helper
 * (esbuild's keepNames), which roughly doubled the governor's measured CPU per request while the
 * baselines, already JavaScript in node_modules, ran untouched.
 */
import { WORKER_ENV, workerMain } from "../test/redis/worker.js"
import type { BenchGroup } from "./harness.js"
import { printTable } from "./harness.js"
import { groups } from "./groups.js"

// Started again by the redis group as one of its worker processes.
const workerOptions = process.env[WORKER_ENV]
if (workerOptions !== undefined) await workerMain(workerOptions)

const selected = process.argv.slice(2).filter((a) => !a.startsWith("-"))
const unknown = selected.filter((name) => !groups.some((g) => g.name === name))
if (unknown.length > 0) {
  console.error(`Unknown bench group(s): ${unknown.join(", ")}. Known: ${groups.map((g) => g.name).join(", ")}`)
  process.exit(2)
}
const toRun: ReadonlyArray<BenchGroup> = selected.length === 0 ? groups : groups.filter((g) => selected.includes(g.name))

const options = { quick: process.argv.includes("--quick") }
const figures: Record<string, number> = {}
for (const group of toRun) {
  const result = await group.run(options)
  printTable(group, result)
  Object.assign(figures, result.figures)
}
console.log(JSON.stringify(figures))
process.exit(0)
