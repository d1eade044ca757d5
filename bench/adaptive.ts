/**
 * Adaptive-rate bench, as a matrix: server families (`bench/adaptive/families.ts`) × scenarios
 * (`scenarios.ts`), chosen in `matrix.ts`. In every cell three clients run at once, each against its own
 * simulated API (`cell.ts`): the composed `ResilientClient` as a user configures it, an oracle (a fixed
 * limiter at the true hidden rate) and seed-style AIMD (`clients.ts`). Measured on the server side
 * after a 5 s warm-up (`metrics.ts`). Cells run side by side, `CELLS_AT_ONCE` at a time, all in this
 * process: the oracle in the same cell is the yardstick for what the machine allowed.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { runCell } from "./adaptive/cell.js"
import { clients } from "./adaptive/clients.js"
import { noiseTwins } from "./adaptive/families.js"
import { byDuration, type Cell, full, quick } from "./adaptive/matrix.js"
import { summarize, vsOracle } from "./adaptive/metrics.js"
import { render, type Row } from "./adaptive/table.js"
import type { BenchGroup, BenchRow } from "./harness.js"

/** ~250 requests/s per cell (three clients at ~50/s plus rejections): six fit one event loop. */
const CELLS_AT_ONCE = 6

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

const runAll = (cells: ReadonlyArray<Cell>) => {
  let done = 0
  return Effect.forEach(
    byDuration(cells),
    (cell) =>
      runCell(cell, clients).pipe(
        Effect.tap(({ composed }) =>
          Effect.sync(() =>
            process.stderr.write(
              `  [${++done}/${cells.length}] ${cell.family.name} ${cell.scenario.name}: ${composed.goodputPct.toFixed(1)}%\n`
            )
          )
        ),
        Effect.map((m): Row => ({ family: cell.family.name, scenario: cell.scenario.name, ours: m.composed, oracle: m.oracle, seed: m.seed }))
      ),
    { concurrency: CELLS_AT_ONCE }
  ).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(Logger.minimumLogLevel(LogLevel.Error)))
}

/**
 * `--only=family[:scenario],…` keeps the cells it names (a prefix of the family name, optionally a
 * scenario name): one cell re-measured in seconds while tuning.
 */
const only = (cells: ReadonlyArray<Cell>): ReadonlyArray<Cell> => {
  const arg = process.argv.find((a) => a.startsWith("--only="))
  if (arg === undefined) return cells
  const wanted = arg.slice("--only=".length).split(",").map((w) => w.split(":"))
  return cells.filter((c) =>
    wanted.some(([f, s]) => c.family.name.startsWith(f!) && (s === undefined || c.scenario.name.startsWith(s)))
  )
}

const cellFigures = (r: Row): Record<string, number> => {
  const k = `adaptive.${r.family}.${r.scenario}`
  return {
    [`${k}.goodput_pct`]: round(r.ours.goodputPct),
    [`${k}.r429_pct`]: round(r.ours.r429Pct),
    [`${k}.vs_oracle`]: round(vsOracle(r.ours, r.oracle), 3),
    [`${k}.oracle_goodput_pct`]: round(r.oracle.goodputPct),
    [`${k}.seed_goodput_pct`]: round(r.seed.goodputPct)
  }
}

export const group: BenchGroup = {
  name: "adaptive",
  description: "goodput (% of the hidden limit admitted after 5 s) and 429s per family x scenario: ours, oracle, seed AIMD",
  run: async (options) => {
    const cells = only(options.quick ? quick : full)
    const lag = monitorEventLoopDelay({ resolution: 20 })
    lag.enable()
    const started = performance.now()
    const measured = await Effect.runPromise(runAll(cells))
    const seconds = (performance.now() - started) / 1000
    lag.disable()
    // Back in matrix order for the table.
    const rows = cells.flatMap((c) => measured.filter((r) => r.family === c.family.name && r.scenario === c.scenario.name))
    const s = summarize(rows, noiseTwins)
    const lagP99 = lag.percentile(99) / 1e6
    const families = [...new Set(cells.map((c) => c.family))]
    const summary: Array<BenchRow> = [
      { name: "min goodput", value: s.minGoodputPct, unit: "%", note: "of the hidden limit, worst cell" },
      { name: "min vs oracle", value: s.minVsOracle, unit: "x", note: "goodput / the oracle's, worst cell" },
      { name: "max 429s", value: s.maxR429Pct, unit: "%", note: "of requests sent, worst cell" },
      { name: "noise vs clean", value: s.noiseVsClean, unit: "x", note: "admitted/s with random 5xx / without, worst pair" },
      { name: "event-loop lag p99", value: lagP99, unit: "ms", note: `${cells.length} cells, ${CELLS_AT_ONCE} at once` },
      { name: "wall time", value: seconds, unit: "s" }
    ]
    return {
      table: render(rows, families),
      rows: summary,
      figures: {
        ...Object.assign({}, ...rows.map(cellFigures)),
        "adaptive.min_goodput_pct": round(s.minGoodputPct),
        "adaptive.min_vs_oracle": round(s.minVsOracle, 3),
        "adaptive.max_r429_pct": round(s.maxR429Pct),
        "adaptive.noise_vs_clean": round(s.noiseVsClean, 3),
        "adaptive.loop_lag_p99_ms": round(lagP99, 1)
      }
    }
  }
}
