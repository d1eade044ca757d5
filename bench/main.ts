/**
 * `npm run bench` runs every group; `npm run bench -- GROUP [GROUP…]` runs the named ones;
 * `GROUP:PART` runs one part of a group that has parts (`redis:libraries`, `redis:hierarchy`,
 * `redis:processes`, `redis:matrix`); `--quick` asks the groups that have one for a shorter subset.
 * The last line printed is always one JSON object of flat figures.
 *
 * The script bundles the benches with esbuild and runs plain JavaScript, as users run the compiled
 * package: under tsx every closure the library creates per call is wrapped in a naming helper
 * (esbuild's keepNames), which roughly doubled the governor's measured CPU per request while the
 * baselines, already JavaScript in node_modules, ran untouched.
 */
import { WORKER_ENV, workerMain } from "../test/redis/worker.js"
import { printTable } from "./harness.js"
import { groups } from "./groups.js"
import { select } from "./select.js"

// Started again by the redis group as one of its worker processes.
const workerOptions = process.env[WORKER_ENV]
if (workerOptions !== undefined) await workerMain(workerOptions)

const selection = select(groups, process.argv.slice(2).filter((a) => !a.startsWith("-")))
if (selection._tag === "Left") {
  console.error(selection.error)
  process.exit(2)
}

const quick = process.argv.includes("--quick")
const figures: Record<string, number> = {}
for (const { group, parts } of selection.selected) {
  const result = await group.run({ quick, parts })
  printTable(group, result)
  Object.assign(figures, result.figures)
}
console.log(JSON.stringify(figures))
process.exit(0)
