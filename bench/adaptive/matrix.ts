/**
 * Which family × scenario cells run: not the whole product, but every family and every variant at
 * least once. The shapes that differ in how a limit is *learned* (bucket sizes, windows, nginx's GCRA,
 * late feedback) meet every scenario; variants of how a limit is *stated* (Retry-After forms, headers,
 * GitHub's 403, noise) meet the docs being right and being 2x too high.
 */
import * as F from "./families.js"
import type { Family } from "./families.js"
import * as S from "./scenarios.js"
import type { Scenario } from "./scenarios.js"

export interface Cell {
  readonly family: Family
  readonly scenario: Scenario
}

const cross = (families: ReadonlyArray<Family>, scenarios: ReadonlyArray<Scenario>): Array<Cell> =>
  families.flatMap((family) => scenarios.map((scenario) => ({ family, scenario })))

export const full: ReadonlyArray<Cell> = [
  ...cross([F.tb100ms, F.tb500ms, F.tb2s, F.fw1s, F.fw10s, F.slidingLog, F.nginx503, F.tbDelayed], S.all),
  ...cross(
    [F.nginx429, F.raPrecise, F.raDate, F.raNone, F.xRateLimit, F.ietfPk, F.github, F.noise5, F.noise20, F.nginxDelayed],
    [S.accurate, S.overstate]
  )
]

/** `--quick`: about a minute; still one drop, one noise twin, headers and late feedback. */
export const quick: ReadonlyArray<Cell> = [
  ...cross([F.tb500ms], S.all),
  ...cross([F.tb100ms, F.fw1s, F.nginx503, F.ietfPk, F.noise20, F.tbDelayed], [S.accurate])
]

/** Longest cells first, so that running them side by side packs well. */
export const byDuration = (cells: ReadonlyArray<Cell>): Array<Cell> =>
  [...cells].sort((a, b) => b.scenario.durationMs - a.scenario.durationMs)
