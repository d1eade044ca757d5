/**
 * One cell of the matrix: each client against its own `SimulatedApi` of the cell's family (own port,
 * same hidden limit), all at once, so they share the machine's conditions. Time is the `Clock`: real in
 * the bench, `TestClock` in the tests.
 */
import type { HttpClient } from "@effect/platform"
import { Clock, Duration, Effect } from "effect"
import * as SimulatedApi from "../../src/testing/SimulatedApi.js"
import type { Load } from "./clients.js"
import type { Cell } from "./matrix.js"
import { type LimitChange, type Measured, measure, type Sample } from "./metrics.js"

const sample = (api: SimulatedApi.SimulatedApiShape, at: number): Effect.Effect<Sample> =>
  Effect.map(api.counters, (c) => ({ at, admitted: c.accepted + c.errors5xx + c.resets, rejected: c.rejected429, total: c.total }))

/** Run `loads` (by name) in one cell; returns each client's measurement after the warm-up. */
export const runCell = <K extends string>(
  cell: Cell,
  loads: Readonly<Record<K, Load>>
): Effect.Effect<Record<K, Measured>, never, HttpClient.HttpClient> =>
  Effect.scoped(Effect.gen(function*() {
    const { family, scenario } = cell
    let hidden = scenario.hidden
    const names = Object.keys(loads) as Array<K>
    // The cell moves time itself (TestClock in its spec, the real clock in `npm run bench`).
    const apis = yield* Effect.forEach(names, () =>
      Effect.orDie(SimulatedApi.make({ ...family.server(scenario.hidden), virtualTime: true })))
    const start = yield* Clock.currentTimeMillis
    yield* Effect.forEach(names, (name, i) =>
      Effect.forkScoped(loads[name]({ url: apis[i]!.url, documented: scenario.documented, fibers: family.fibers, hidden: () => hidden })))
    const until = (ms: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Duration.millis(Math.max(0, start + ms - now))))
    const sampleAll = Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.forEach(apis, (api) => sample(api, at)))

    yield* until(scenario.warmupMs)
    const w0 = yield* sampleAll
    const schedule: Array<LimitChange> = [{ at: -Infinity, rate: scenario.hidden }]
    if (scenario.drop !== undefined) {
      const { atMs, rate } = scenario.drop
      yield* until(atMs)
      const burst = family.server(rate).burst
      yield* Effect.forEach(apis, (api) => Effect.orDie(api.setLimit(rate, burst)))
      hidden = rate
      schedule.push({ at: yield* Clock.currentTimeMillis, rate })
    }
    yield* until(scenario.durationMs)
    const w1 = yield* sampleAll
    return Object.fromEntries(names.map((name, i) => [name, measure(w0[i]!, w1[i]!, schedule)])) as Record<K, Measured>
  }))
