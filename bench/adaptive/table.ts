/** The matrix as a text table: one row per cell, the three clients side by side. */
import type { Family } from "./families.js"
import type { Measured } from "./metrics.js"
import { vsOracle } from "./metrics.js"

export interface Row {
  readonly family: string
  readonly scenario: string
  readonly ours: Measured
  readonly oracle: Measured
  readonly seed: Measured
}

const num = (n: number, width: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n)).padStart(width)

const HEAD = ["family", "scenario", "ours %", "429 %", "/oracle", "oracle %", "429 %", "seed %", "429 %"]

export const render = (rows: ReadonlyArray<Row>, families: ReadonlyArray<Family>): string => {
  const fw = Math.max(...rows.map((r) => r.family.length), HEAD[0]!.length)
  const sw = Math.max(...rows.map((r) => r.scenario.length), HEAD[1]!.length)
  const line = (cols: ReadonlyArray<string>) =>
    `  ${cols[0]!.padEnd(fw)}  ${cols[1]!.padEnd(sw)} ${cols.slice(2).map((c) => c.padStart(9)).join("")}`
  const body = rows.map((r) =>
    line([
      r.family,
      r.scenario,
      num(r.ours.goodputPct, 9),
      num(r.ours.r429Pct, 9, 2),
      num(vsOracle(r.ours, r.oracle), 9, 3),
      num(r.oracle.goodputPct, 9),
      num(r.oracle.r429Pct, 9, 2),
      num(r.seed.goodputPct, 9),
      num(r.seed.r429Pct, 9, 2)
    ])
  )
  const legend = families.map((f) => `  ${f.name.padEnd(fw)}  ${f.label}`)
  return [line(HEAD), ...body, "", ...legend].join("\n")
}
