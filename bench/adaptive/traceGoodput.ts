/**
 * The trace tools' closing line (`traceCell.ts`, `traceFit.ts`): after the scenario's warm-up, what the
 * server's limiter admitted (5xx included) as % of the hidden limit, and its rejections.
 */
import { Effect } from "effect"
import type * as SimulatedApi from "../../src/testing/SimulatedApi.js"
import type * as S from "./scenarios.js"

export const printGoodput = (api: SimulatedApi.SimulatedApiShape, scenario: S.Scenario): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Effect.sleep(`${scenario.warmupMs} millis`)
    const c0 = yield* api.counters
    yield* Effect.sleep(`${scenario.durationMs - scenario.warmupMs} millis`)
    const c1 = yield* api.counters
    const admitted = c1.accepted + c1.errors5xx - c0.accepted - c0.errors5xx
    const perS = admitted / ((scenario.durationMs - scenario.warmupMs) / 1000)
    console.log(`goodput ${(perS / scenario.hidden * 100).toFixed(1)}% rejected ${c1.rejected429 - c0.rejected429}`)
  })
