/**
 * The simulated matrix's rate-limit header rows (`matrix.test.ts` holds the others): with headers the
 * goal is >= 98% and no 429 after the first second.
 */
import { describe, expect, it } from "@effect/vitest"
import { measure, measureMean, type Net, type ScenarioId } from "./matrix.js"
import { goals, row } from "./matrixGoals.js"

describe("adaptive controller in the simulated matrix: rate-limit headers (8 fibers unless said)", () => {
  // Held at 96.5% and 0.98 of the oracle (the event-loop stalls cost a header pace ~1%) until a quota
  // a pause keeps was paced at its whole rate with few requests on their way (`headerPacing.ts`:
  // 98.2-98.4% then, the 1 s fixed window 96.5-97.0).
  it("rate-limit headers: >= 98% and no 429 after the first second (token bucket, 1 s, 10 s and 60 s fixed windows, GitHub's 403)", () => {
    for (const name of ["hdr bucket 1s ietf", "hdr fixed 1s xrl", "hdr fixed 10s xrl", "hdr fixed 10s draft6", "hdr fixed 60s ietf", "hdr fixed 10s 403 epoch"]) {
      for (const sc of ["a", "b", "c"] as const) {
        const m = measure(row(name), sc, "local")
        expect(m.adaptive.goodputPct, `${name} ${sc}`).toBeGreaterThanOrEqual(98)
        expect(m.vsOracle, `${name} ${sc}`).toBeGreaterThanOrEqual(0.99)
        expect(m.adaptive.rejectedW, `${name} ${sc}`).toBe(0)
      }
    }
  })

  it("a 1 s token bucket stating IETF fields, its limit dropping 50 -> 20: every seed >= 96.5% and 0.965 of the oracle, no 429", () => {
    // Was 95.7 / 96.3 / 95.6% (worst of 8 seeds; 0.964 / 0.966 / 0.957): paced a request per window
    // below the stated 20 per second, as a fixed window must be, 5% below.
    for (const net of ["local", "delayed", "lagged"] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const m = measure(row("hdr bucket 1s ietf"), "d", net, undefined, seed)
        expect(m.adaptive.goodputPct, `${net} ${seed}`).toBeGreaterThanOrEqual(96.5)
        expect(m.vsOracle, `${net} ${seed}`).toBeGreaterThanOrEqual(0.965)
        expect(m.adaptive.rejectedW, `${net} ${seed}`).toBe(0)
      }
    }
  })

  goals("hdr bucket 0.2s xrl", ["a", "b", "c"])
  goals("hdr fixed 1s xrl", ["a", "b", "c", "d"])
  // Local 96.8 / 96.6 / 96.7 / 94.0% (3 seeds; the bench's fw-1s-draft7 97.1) before the gate's quota
  // was paced at its whole rate: 98.2 / 98.2 / 98.1 / 97.6.
  goals("hdr fixed 1s ietf", ["a", "b", "c", "d"])
  goals("hdr sliding 1s ietf", ["a", "b", "c", "d"])
  goals("hdr bucket 0.2s xrl", ["a", "b", "c"], "delayed")
  // Draft-6 fields and X-RateLimit-* (the bench's fw-10s-draft6): 98.2 / 94.8 / 91.7% with 0.69% 429s
  // (local / delayed / lagged, docs overstated, 3 seeds) while the policy alone was read, no `remaining`.
  goals("hdr fixed 10s draft6", ["a", "b", "c"], "delayed")

  it("a 50 rps token bucket of 0.2 s stating its burst as X-RateLimit-Limit, reset in whole seconds: paced at its refill, not 10 / 1 s (was 18% in every cell)", () => {
    // Means over seeds 1-8; no cell above 1% of 429s but the drop 100-300 ms away (requests in
    // flight meet the lower limit). Delayed b / c / d 95.5 / 96.5 / 91 (98.3 / 96.9 / 97.7 / 93.1), lagged
    // 82 / 70 / 80 / 69.5 (83.6 / 74.3 / 81.6 / 71.3, 0.90% 429s at the drop) before the rate read was
    // settled after a round trip and its spread (not two) and the level held at half of what a reading
    // can say (`headerPacing.ts`: 97.4 / 97.7 / 99.2 / 94.0, 87.6 / 79.5 / 90.1 / 78.3, 1.30% at the drop).
    const cells: ReadonlyArray<readonly [ScenarioId, Net, number]> = [
      ["a", "local", 99], ["b", "local", 99], ["c", "local", 99], ["d", "local", 95],
      ["a", "delayed", 97], ["b", "delayed", 97.5], ["c", "delayed", 99], ["d", "delayed", 93.75],
      ["a", "lagged", 87.5], ["b", "lagged", 79.25], ["c", "lagged", 90], ["d", "lagged", 78]
    ]
    for (const [sc, net, goodput] of cells) {
      const m = measureMean(row("hdr bucket 0.2s xrl"), sc, net, 8)
      expect(m.goodputPct, `${sc} ${net}`).toBeGreaterThanOrEqual(goodput)
      expect(m.r429Pct, `${sc} ${net}`).toBeLessThanOrEqual(sc === "d" && net === "lagged" ? 1.5 : 1)
    }
  })

  /** Means over seeds 1-8 of a header row's cells: goodput at least the floor; no 429 close by but after a drop, at most 1% otherwise. */
  const expectHeaderCells = (name: string, cells: ReadonlyArray<readonly [ScenarioId, Net, number]>) => {
    for (const [sc, net, goodput] of cells) {
      const m = measureMean(row(name), sc, net, 8)
      expect(m.goodputPct, `${sc} ${net}`).toBeGreaterThanOrEqual(goodput)
      expect(m.r429Pct, `${sc} ${net}`).toBeLessThanOrEqual(sc === "d" || net === "delayed" ? 1 : 0)
    }
  }

  it("a 1 s sliding log with IETF fields: an exhausted quota waits for the unit it needs, a window after it was spent; the window gate keeps under the quota (was 54 / 54 / 54 / 55%, then 67-80% after a false window ended the pause)", () => {
    // Means over seeds 1-8. Delayed: the requests on their way take what remains (was 52-67%). Before
    // the window gate (`windowGate.ts`): 93.8 / 93.7 / 92.8 / 91.4% with 0.07-0.09% 429s (a-c), delayed
    // 76.2 / 76.3 / 77.7 / 81.5%; no 429 now in the local cells a-c.
    const cells: ReadonlyArray<readonly [ScenarioId, Net, number]> = [
      // Local 95.5 / 95.5 / 95.5 / 92.5 before it was paced at its whole rate (a request per window
      // less). What is left is the server's stalls: a stall's requests leave the log together a window
      // later, and the quota holds no more of them (the oracle: 96.0% with 2.7% 429s).
      ["a", "local", 96.25], ["b", "local", 96.25], ["c", "local", 96], ["d", "local", 95.5],
      // Cold a / b / d 90.1 / 90.1 / 91.4 (0.15 / 0.15 / 0.25% 429s) before the pause for the unit
      // needed was dated by that reading's own round trip when under half the average (96.4 / 96.3 / 95.9).
      ["a", "cold", 96.25], ["b", "cold", 96.25], ["c", "cold", 96.25], ["d", "cold", 95.5],
      // d 86.5 (86.9) before a first reading opened a window (86.4: one seed of 8, 85.4 -> 81.0, no
      // longer lost its first second to a reset and met its walls elsewhere).
      // 84.0 / 81.8 / 84.2 / 85.9 (3 seeds) before the gate capped the pace a jitter below its quota.
      ["a", "delayed", 90], ["b", "delayed", 85], ["c", "delayed", 90], ["d", "delayed", 88.5]
    ]
    expectHeaderCells("hdr sliding 1s ietf", cells)
  })

  it("a 1 s fixed window stating whole-second resets: an exhausted quota waits for the window's end, less the requests on their way (was 90.7 / 84.5 / 90.7 / 94.2%, delayed 70-80%)", () => {
    // Means over seeds 1-8; no 429 in the local cells a-c.
    const cells: ReadonlyArray<readonly [ScenarioId, Net, number]> = [
      // Local 96.5 / 96.5 / 96.5 / 93 before it was paced at its whole quota, its last unit taken by the
      // next request when answers come back within a slot (was read as taken by a fraction of one).
      // Local / cold d 97.6 / 97.6 before a wall in a window seen opening paused until its dated end,
      // not the whole-second Retry-After (`headerPacing.ts`: 99.0 / 99.1).
      ["a", "local", 98.5], ["b", "local", 98.5], ["c", "local", 98.5], ["d", "local", 98.75],
      ["a", "cold", 98.5], ["b", "cold", 98.5], ["c", "cold", 98.5], ["d", "cold", 98.75],
      // Delayed 86.5 / 83.5 / 90 / 86.5 before a first reading opened a window and readings sent before
      // a window seen opening stopped pausing (`quotaWindow.ts`); 88.5 / 87.5 / 91.5 / 88 before a
      // fixed window was dated at the latest and paused until a request reaches the server after its
      // end, its readings stale by the requests sent since (`headerPacing.ts`; 100-300 ms away a 81 -> 84);
      // 93.05 / 89.57 / 94.43 / 89.52 (lagged a 83.90) before its last request was spread to that end;
      // 93.6 / 90.3 / 94.4 / 89.6 before the pause ended a share of the round trip's spread sooner
      // (`headerPacing.ts`: 93.7 / 90.8 / 94.6 / 89.3); b / d 90.8 / 89.7 (0.86% 429s) before a wall
      // in a window seen opening paused until its dated end and a changed quota read near full opened
      // a window (`quotaWindow.ts`: 93.5 / 91.7, 0.86%; lagged b / d 77.6 / 80.4 -> 84.0 / 83.4).
      ["a", "delayed", 93.5], ["b", "delayed", 93.25], ["c", "delayed", 94.5], ["d", "delayed", 91.5],
      // Lagged a 84.0 before the old window's stragglers and the new one's overtaken readings were told
      // apart (`quotaWindow.ts`: 85.5); 85.5 before the pause ended sooner (86.7).
      ["a", "lagged", 86.5]
    ]
    expectHeaderCells("hdr fixed 1s xrl", cells)
  })

  it("1 s fixed windows far away or on a blocked loop: an IETF window seen opening in rhythm kept as a fixed one, the held last unit's next request slowed to the pause", () => {
    // Means over seeds 1-8: [row, scenario, net, goodput % at least, 429s % at most]. IETF delayed a / c
    // were 89.6 / 90.8, lagged 79.6 / 82.0 (kept by the gate as a sliding log; now 93.5 / 93.0, 82.7 /
    // 85.6); X-RateLimit blocked a / d 88.4 / 89.0 (3 seeds) before the held unit's next request was
    // slowed (now 93.0 / 91.0). IETF delayed a / c 93.5 / 93.0, lagged 82.7 / 85.6 before the pause at
    // a window's end ended a share of the round trip's spread sooner (now 93.9 / 94.3, 83.9 / 86.8).
    // IETF lagged a 83.9% (0.09% 429s) before a rise by a quarter of the quota read as a window opening
    // (`quotaWindow.ts`: 86.8%, none). Docs overstated, IETF fixed / log delayed 90.4 / 85.9, lagged
    // 76.8 / 73.3 (0.98 / 1.22% 429s), blocked 87.9 / 85.2 before the first window's pause
    // (`headerPacing.ts`: 93.8 / 90.0, 85.4 / 77.7 with 0.02 / 0.05%, 90.4 / 89.7). Blocked, IETF a / b,
    // X-RateLimit a / d 90.9 / 90.4, 93.0 / 91.2 before a wall in a window seen opening paused until
    // its dated end, not the whole-second Retry-After (94.5 / 93.5, 93.9 / 93.8); IETF delayed d 89.7%
    // (0.92% 429s) before that and a changed quota read near full opening a window (91.9%, 0.86%).
    const cells: ReadonlyArray<readonly [string, ScenarioId, Net, number, number]> = [
      ["hdr fixed 1s ietf", "a", "delayed", 93.5, 0], ["hdr fixed 1s ietf", "c", "delayed", 94, 0.05],
      ["hdr fixed 1s ietf", "a", "lagged", 86.5, 0], ["hdr fixed 1s ietf", "c", "lagged", 86.5, 0.05],
      ["hdr fixed 1s ietf", "b", "delayed", 93.5, 0], ["hdr sliding 1s ietf", "b", "delayed", 89.5, 0.05],
      ["hdr fixed 1s ietf", "b", "lagged", 85, 0.05], ["hdr sliding 1s ietf", "b", "lagged", 77.5, 0.1],
      ["hdr fixed 1s ietf", "b", "blocked", 93.25, 0.15], ["hdr sliding 1s ietf", "b", "blocked", 89.5, 0.1],
      ["hdr fixed 1s xrl", "a", "blocked", 93.75, 0.1], ["hdr fixed 1s xrl", "d", "blocked", 93.5, 0.5],
      ["hdr fixed 1s ietf", "a", "blocked", 94.25, 0.1], ["hdr fixed 1s ietf", "d", "delayed", 91.5, 1]
    ]
    for (const [name, sc, net, goodput, r429] of cells) {
      const m = measureMean(row(name), sc, net, 8)
      expect(m.goodputPct, `${name} ${sc} ${net}`).toBeGreaterThanOrEqual(goodput)
      expect(m.r429Pct, `${name} ${sc} ${net}`).toBeLessThanOrEqual(r429)
    }
  })

  it("GitHub's 403 with X-RateLimit-Remaining: 0 and an epoch-second reset, no Retry-After, 32 fibers far away: the 10 s window read as 10 s, not 11 (was 89% in every cell)", () => {
    // Means over seeds 1-8: [scenario, net, goodput % at least, 403s % at most]; the first window's
    // start is our first request's, and a reading sent before a window opened does not pause.
    const cells: ReadonlyArray<readonly [ScenarioId, Net, number, number]> = [
      // b 96.5 / 95 before the first reading of the quota's first half opened its window (answers overtake).
      // 97.5 / 97.5 / 97.5 / 98 and 97.5 / 96.5 / 97.5 / 97.5, 403s b 0.2 / 0.7 before the window was paced at
      // its whole quota and its first window counted those on their way (`headerPacing.ts`; now 99.24 /
      // 98.91 / 99.29 / 99.19 and 98.39 / 97.31 / 98.90 / 98.26, b 0.025 / 0 403s).
      ["a", "delayed", 98.75, 0], ["b", "delayed", 98.5, 0.1], ["c", "delayed", 98.75, 0], ["d", "delayed", 98.75, 0.7],
      ["a", "lagged", 98, 0], ["b", "lagged", 97, 0.1], ["c", "lagged", 98.5, 0], ["d", "lagged", 97.75, 1.2]
    ]
    for (const [sc, net, goodput, rejected] of cells) {
      const m = measureMean(row("hdr fixed 10s 403 epoch"), sc, net, 8)
      expect(m.goodputPct, `${sc} ${net}`).toBeGreaterThanOrEqual(goodput)
      expect(m.r429Pct, `${sc} ${net}`).toBeLessThanOrEqual(rejected)
    }
  })

  it("a 10 s fixed window answering whole-second Retry-After, 32 fibers far away: the counter stops at the quota read from a wall, before the window's end, not in flight at it (429s were 2-5% a-c, 8-9% d; lagged c 5%: its slow start ends in a short pause)", () => {
    // Means over seeds 1-8: [scenario, net, 429s % at most].
    const cells: ReadonlyArray<readonly [ScenarioId, Net, number]> = [
      ["a", "delayed", 0.5], ["b", "delayed", 0.5], ["c", "delayed", 0.6], ["d", "delayed", 3.5],
      ["a", "lagged", 0.3], ["b", "lagged", 0.3], ["d", "lagged", 3.5]
    ]
    for (const [sc, net, r429] of cells) {
      const m = measureMean(row("fixed 10s RA=s"), sc, net, 8)
      expect(m.goodputPct, `${sc} ${net}`).toBeGreaterThanOrEqual(98.5)
      expect(m.r429Pct, `${sc} ${net}`).toBeLessThanOrEqual(r429)
    }
  })
})
