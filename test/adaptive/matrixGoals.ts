/** The matrix's shared checks: a row by name, and a cell held to the goals. */
import { expect, it } from "@effect/vitest"
import { measure, rows, type ScenarioId } from "./matrix.js"

export const row = (name: string) => rows.find((r) => r.name === name)!

/** Cells of `name` held to the goals: >= 95% of the hidden limit, >= 0.97 of the oracle, <= 1% 429s. */
export const goals = (name: string, scenarios: ReadonlyArray<ScenarioId>, net: "local" | "delayed" = "local") =>
  it(`${name} (${net}): >= 95% of the hidden limit, >= 0.97 of the oracle, <= 1% 429s (${scenarios.join(", ")})`, () => {
    for (const sc of scenarios) {
      const m = measure(row(name), sc, net)
      expect(m.adaptive.goodputPct, sc).toBeGreaterThanOrEqual(95)
      expect(m.vsOracle, sc).toBeGreaterThanOrEqual(0.97)
      expect(m.adaptive.r429Pct, sc).toBeLessThanOrEqual(1)
    }
  })
