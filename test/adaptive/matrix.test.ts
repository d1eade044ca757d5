import { describe, expect, it } from "@effect/vitest"
import { cellOf, measure, measureMean, type Net, nets, type ScenarioId } from "./matrix.js"
import { goals, row } from "./matrixGoals.js"
import { demoSettings } from "../../examples/demo-settings.js"
import { schedule } from "./loopBlocks.js"
import { type Cell, simulate } from "./simulation.js"

// The deterministic simulation matrix (pure, no clock): the cells that meet the issue's goals are
// held to them here; the worst cells, which do not, to floors at what the controller reaches (the
// README lists them).

/** Goodput % of the hidden limit and ratio to the oracle, means over seeds 1-8, per scenario. */
type Floor = readonly [goodputPct: number, vsOracle: number]

/**
 * The bench's worst cells (its family in brackets), in the simulation with the server's stalls: floors
 * at what the controller reaches (before the stray walls, the probed ranges and the best fit: 0.1 s
 * bucket 84 / 81 / 79 / 76%, sliding log 74 / 67 / 70 / 75%, 0.5 s bucket 94 / 84 / 93%, delayed
 * 88 / 81 / 88%, HTTP-date 86%, nginx 429 89%).
 */
const floors: ReadonlyArray<readonly [name: string, net: Net, bench: string, cells: Partial<Record<ScenarioId, Floor>>]> = [
  // a / b / d 90.2 / 87.6 / 81.8% (0.917 / 0.891 / 0.825) before an answer the server held paused the
  // pace a slot on the plateau (`stallGate.ts`): the next request after a stall's backlog met the wall.
  // c 82.2% before a first fit crediting a burst left a narrow range open to the probe interval (81.8:
  // 2 of 8 seeds had a fit 5% below, which the probe 3 s later found).
  // a / b / c 94.1 / 93.7 / 83.0% (0.957 / 0.953 / 0.844) before the in-flight cap (`inFlight.ts`): a
  // stall of ~120 ms held 6 requests, one more than the bucket's burst, and met the wall.
  // d 85.3% (0.859) before the stall gate's pause reached the stall's most delayed answer, not the last one's.
  // c 86.0% (0.88) before a fit crediting under 0.1 s of burst resumed below its rate (`thinBurstRate`).
  // d 86.5% (0.87) before a limit change's loose reading bounded the hold (`changedRead`): 90.1 (0.908).
  ["bucket 0.1s RA=s", "local", "tb-100ms", { a: [97.5, 0.99], b: [97.5, 0.99], c: [92.5, 0.935], d: [90, 0.905] }],
  // b 68.6 / d 73.9% before the window quota (`windowQuota.ts`): the fit read the log's walls as a
  // bucket at a third to two thirds of its quota and held it 30 s (d 70.7% while the pinned fit was
  // probed soon without it).
  // b 80.6% (0.837) before the window gate (`windowGate.ts`) kept the pace under the quota the walls read.
  // a 81.5 / d 79.4% (3 seeds) before the docs' count per window met at the slow start's wall was
  // read as a window quota (`documentedWindow`) and gated: stalls met the log's wall every ~4 s.
  // d 81.9% (0.867) before a probe's wall above that quota resumed at it (`aboveWindow`), not at a fit below.
  // c 82.2% (0.854) before a slow start of seconds was read by its last window and kept under, 85.0%
  // (0.883) before a probe's top step within the quota kept under was held.
  // c 81.7% with both before a window read from the slow start's last window belied a trusted first fit's
  // burst (its range probed soon again, `trustedHigh`).
  // d 90.6% (8 seeds) before that reading was tested by a second window before it was kept (a bucket
  // of ~0.25 s reads the same at the slow start's wall): 89.6%, one seed's drop 90.1 -> 82.7%.
  // c 84.9% (0.881) before a narrow range under an armed gate was probed in one step and settled half a
  // margin under its top, not on the step held (`gatedTop`).
  // d 90.6% before a limit change read the quota kept under again from one cycle (`changedQuota`).
  // c lowered from 85.5 / 0.885 (8 seeds 85.6%) when the hold after a ramp past the docs stayed under
  // the rate a 0.1 s bucket explains the ramp's wall with (`HOLD_TOP_SLACK`): there the hold at 50 met
  // the log's wall a second in, read as 35-47 (83.9%); the bucket rows it lifts gained 2-10 points.
  // A hold's wall above the quota that wall alone read, resumed at it, lifted c to 86.0% (8 seeds), but
  // read a token bucket's rate plus burst, what a hold after a slow start sends in its last second, as
  // a quota (a 30/s bucket of 15, docs 6: resumed at 43, 3 -> 11 walls a minute): not kept.
  ["sliding 1s RA=s", "local", "slog-1s", { a: [95.5, 0.99], b: [94.5, 0.98], c: [83.5, 0.865], d: [93.5, 0.99] }],
  // a 66.8% before the window quota; 84.0% (3 seeds) before the docs' window. b 79.3% (0.836) before
  // `aboveWindow`, 81.7% (0.861) before late successes counted in the cycle they were sent in.
  // a 86.4 / b 83.0% (8 seeds: 0.912 / 0.875) before a gate in force capped the pace a jitter below its
  // quota (`paceCap`): the gate paused on most answers, each pause a slot lost.
  // b 85.9% (0.906) before the last count was let lack answers on their way (`windowQuota.ts`): 85.3
  // (0.899), one seed of 8 85 -> 81% (a stray wall more on the plateau); the blocked net's log +5.7.
  // b 85.2% (0.90) before the same one-step probe under the gate.
  // d 79.3% before a limit change read the quota kept under again (`changedQuota`).
  // b 86.7% (0.91) before a probe from a plateau under an armed quota stepped no higher than it
  // (`capAtQuota`): the hold after the slow start's wall probed towards its pace and met the log's wall.
  // c 77.1% (0.81) before a probe's long cycle was read by its last second against the slow start's
  // (`windowRate`): its walls at 53 then 49 read as a bucket, held at 44.
  // a / d 89.7 / 86.0% before the slow start's late answers were read at the first stray wall (`slowStartQuota`).
  ["sliding 1s RA=s", "delayed", "", { a: [90, 0.94], b: [90.5, 0.955], c: [80, 0.84], d: [86.5, 0.915] }],
  // c 87.0% (8 seeds) before a fit pinned to the lower bound against the slow start's wall was dropped.
  // b / d 93.8 / 94.1% (0.952 / 0.945) before the stall gate's slot per stall (`stallGate.ts`), which
  // a bucket absorbing a stall's backlog loses. d 93.1% (0.935) while a lone late answer paused too
  // (now 92.75: a stall is two held answers back together; a stall holding one request meets no pause).
  // b 93.1% before the in-flight cap: 92.55, one seed of 8 87.5 -> 82.9% (a stall's wall 0.1 s later
  // moved the docs-overstated descent's probe fit, 48.5 -> 56.4, and cost a probe's wall more).
  // c 88.0% (0.892) before a range a fit left open was probed 15 round trips after resuming, not 3 s.
  // b 96.1% (0.975) before a vague first fit of the wall that refuted the docs' hold was dropped (`WIDE_FIRST`).
  // c 90.0% (0.91) before a first fit whose slow start met its wall flat at maxRate resumed at the middle of its range (`flatFirstRate`).
  ["bucket 0.5s RA=s", "local", "tb-500ms", { b: [97.5, 0.99], c: [93.5, 0.95], d: [95, 0.955] }], // d 94.1% before a stray wall stepped down to the walls' fit
  // 86.2% before the same.
  // 87.4 / 81.3% (8 seeds) before a first fit crediting a burst left a narrow range open to the probe interval.
  // d 89.0% (0.2 s; 0.5 s 92.75, HTTP-date 80.6 / 88.2, 1 s log 89.6, 0.1 s 84.3) before a limit change met
  // after a whole pause resumed at half the wall's pace with the short cycle kept for the fit (`RESUME_BELOW_SHORT`).
  ["bucket 0.2s RA=s", "local", "", { c: [91.5, 0.925], d: [91.5, 0.92] }],
  // HTTP-dates one second later than the instant rounded up (`retryAfterValue.ts`) paused 1-2 s per wall: c 85.5 / d 87.3%.
  // d 94.3% (0.947) before a limit change's loose reading bounded the hold (`changedRead`): 93.1 (0.935),
  // floor lowered from 93.5 / 0.94 for the rows it lifts (0.1 s 86.5 -> 90.1%, 0.2 s 100-300 ms away
  // 79.3 -> 82.9%): the hold's wall now lands just after a whole second, its HTTP-date's pause 0.2 -> 1 s.
  ["bucket 0.2s RA=date", "local", "", { c: [94, 0.955], d: [93, 0.93] }], // c was 79.7%, 84.7 before a stray wall stepped down to the walls' fit
  // 93.8% (0.951) before the first fit left the range up to where the hold would go on open.
  // 96.7% (0.980) before the same.
  ["bucket 2s RA=s", "local", "", { c: [97.5, 0.99] }],
  // d 87.6% before a fit within 1.5 times the lower bound was taken for pinned to it (1.25).
  // b 89.4% (0.908) before the hold after a wall at the docs' pace resumed near the limit (`RESUME_BELOW_DOCS`);
  // d 89.3% before more of a stray wall's burst rejected was read as a limit change.
  // c 84.8% before a first fit crediting a burst left a narrow range open to the probe interval.
  // d 94.0% before a limit change was read from one cycle with the slow start's burst (`changedRead`).
  // c 87.4% (0.89) before a first fit whose slow start met its wall at 0.8 of maxRate (not 0.9) resumed
  // at the middle of a range over 1.3 wide (not 1.5): its best fit was the noise of the requests in flight.
  ["bucket 0.5s RA=s", "delayed", "tb-500ms-delay", { b: [96.5, 0.98], c: [90, 0.915], d: [95.5, 0.96] }],
  // 89.4% before walls met within a round trip of a decision without a pause counted as the same burst.
  // c was 78.5%; b 91.0% (0.923) before the stall gate.
  // b / c 91.2 / 81.3% (0.924 / 0.825) before a fit's open range was probed 15 round trips after resuming.
  // b / c / d 92.5 / 82.2 / 91.8% while its HTTP-dates were a second later than the instant rounded up.
  // d 98.8% (0.993), 0.37% 429s, before a limit change's one-cycle reading was taken within 35% (was
  // 10%, `changedRead`): a wall less (0.24%), but seeds 6-7 read 19 of 20 (93.4 / 95.3%); lowered for
  // the rows it lifts (0.2 s bucket 32 fibers 50-100 ms away 90.7 -> 92.9%, 8 seeds).
  // c 92.3% (0.94) before the middle of a flat first fit's range (`flatFirstRate`).
  // c 92.9% (8 seeds) before the middle of a first fit's range over 1.3 wide (not 1.5).
  ["bucket 0.5s RA=date", "local", "tb-500ms-ra-date", { b: [97, 0.985], c: [94, 0.955], d: [97, 0.97] }],
  // b 98.2% (0.997) before the in-flight cap.
  ["gcra b5 429", "local", "nginx-429", { b: [98, 0.99] }],
  // 75.0 / 75.0 / 75.3% (one seed 37%) before the fit pinned to the lower bound after a wall met while
  // holding was probed soon: a stall's wall held the pace at a third of the limit for 30 s.
  // b 77.4% (0.79) before a cycle with no other kept resumed where the pace did (`pause.ts`): answers of
  // the slow start's burst moved the pause 160 ms, the cycle kept the first resume, and the fit read 23-46.
  // c 79.6% (0.81) before a fit crediting under 0.1 s of burst resumed below its rate (`thinBurstRate`).
  ["bucket 0.1s RA=s", "delayed", "", { b: [82.5, 0.845], c: [81.5, 0.835] }], // c 77.0% before the pinned fit against the slow start's wall was dropped
  // b 84.8% (0.862) before the same resume; d 85.6% before the same limit change. d 90.0 (8 seeds) before the stall gate.
  // d 90.7% (0.909) before a limit change's one-cycle reading was taken within 35%, not 10% (`changedRead`).
  ["bucket 0.2s RA=s", "delayed", "", { b: [97, 0.985], d: [92.5, 0.925] }],
  // 76.7% before a fit within 1.5 times the lower bound was taken for pinned to it (1.25).
  // b / c / d 95.1 / 81.8 / 87.0% while its HTTP-dates were a second later; a 97.2% (one seed of 8 88.9) before a wall
  // within a round trip of a resume an HTTP-date 1 ms away allowed was taken for the burst acted on (`inLastBurst`).
  ["bucket 0.2s RA=date", "delayed", "", { a: [98, 0.995], b: [96.5, 0.98], c: [94, 0.955], d: [94, 0.94] }], // 79.7% (0.811) before `RESUME_BELOW_DOCS`
  // b 87.4% (0.889) before the same; c 77.3% before a first fit crediting a burst left a narrow range to the probe interval.
  // b / c 91.3 / 82.3% while its HTTP-dates were a second later; d 90.0% before the same limit change.
  ["bucket 0.5s RA=date", "delayed", "", { b: [97.5, 0.99], c: [96.5, 0.98], d: [92.5, 0.93] }],
  // 92.2 / 94.3% (0.937 / 0.958) before a plateau cut after a precise Retry-After probed the range up to its wall soon.
  // a / b / c 95.3 / 96.9 / 94.0% before walls met within a round trip of a resume that soon were taken for
  // the burst acted on (`pause.ts`, `inLastBurst`): each cut the plateau again.
  ["bucket 0.2s RA=precise", "delayed", "", { a: [97.5, 0.99], b: [97.5, 0.99], c: [97, 0.985] }],
  // 65.1% (0.687) before a fit refuted the docs only from a cycle of two round trips or more: a wall
  // 0.4 s after resuming at the docs' rate was read as 21 of 50.
  // d 45.9% (0.544) with 8.37% 429s before a wall soon after a plateau cut was read as a limit change.
  ["bucket 0.1s RA=s", "lagged", "", { a: [69, 0.73], d: [47, 0.555] }], // d 46.8% before `changedRead` bounded the hold
  // a / d 72.7 / 67.7% (0.78 / 0.75) before the slow start's late answers were read at the first stray
  // wall (`slowStartQuota`): the plateau's walls, ~1.4 s after each resume, were fitted as a bucket of 28.
  // d read 68.2 with it alone, 67.99 beside a hold's fit leaving its range open (`fittedDecision`).
  ["sliding 1s RA=s", "lagged", "", { a: [74.5, 0.795], d: [67.8, 0.745] }],
  // The bench's client starting cold (`cold`), docs overstated (8 seeds). Before the start of
  // traffic's log said what was accepted (`startSent`), its load-bound cycle was read as paced and the
  // fit credited the bucket with requests never sent: 0.2 s 81.3, 0.5 s 92.7, HTTP-date 0.2 s 74.9 /
  // 0.5 s 90.4%. A 0.1 s bucket's slow start meets its wall at the docs' pace, 0.3 s in: 84.1% (0.856)
  // before a wall under two round trips in was read as a cold start too (`coldStart`); the first fit
  // after it still reads ~47 with a burst of 7.6 for 50 / 5, held.
  // c 88.2% (0.90) before a fit crediting under 0.1 s of burst resumed below its rate (`thinBurstRate`).
  ["bucket 0.1s RA=s", "cold", "tb-100ms", { b: [93, 0.945], c: [92.5, 0.935], d: [86.5, 0.87] }],
  ["bucket 0.2s RA=s", "cold", "", { b: [95.5, 0.97] }],
  // c 89.1% (0.903) before the same.
  // c 91.4% (0.93) before the middle of a flat first fit's range (`flatFirstRate`).
  ["bucket 0.5s RA=s", "cold", "tb-500ms", { b: [97, 0.98], c: [95, 0.955] }],
  ["bucket 0.2s RA=date", "cold", "", { b: [96, 0.97] }],
  // b 91.2% (0.95) before a hold's wall above an armed quota resumed at it (`aboveWindow`), not at a fit below.
  ["sliding 1s RA=s", "cold", "", { b: [93.5, 0.975] }],
  ["bucket 0.5s RA=date", "cold", "tb-500ms-ra-date", { b: [98, 0.99] }], // 94.6% (0.960) while its HTTP-dates were a second later
  // 94.9% (0.964) before a wall past its cut restarted the bare 503s' recent share under the bar,
  // 95.6% (0.970) before a probe's step ended at its first 503s the usual share does not explain (`softTrial.ts`).
  ["gcra b5 503", "cold", "nginx-503", { b: [96.5, 0.98] }],
  // 20% noise: a 88.4 / 93.7% (cold / local, 3 seeds), d 92.4 / 78.6% before a slow start's soft wall
  // that cut the pace under 0.65 of its own restarted the recent share further under the bar
  // (`Congestion.DEEP_CUT_RESTART`; 8 seeds now a 98.3 / 98.3, d 96.2 / 94.4).
  // b / c / d 91.2 / 93.5 / 95.6% before a hold's soft wall restarted it further under the bar too (8 seeds).
  // b / c 94.0 / 95.8 -> 95.5 / 97.0% (8 seeds) since a trial may start in a hold.
  // c lowered 96.5 -> 95.5 since two failures past a cut that a share far over the usual one started
  // are noise only above the usual share (`softTrial.ts` FAR_ABOVE): 96.6 -> 95.6% with 3.28 -> 1.75%
  // 503s (8 seeds), runs that had restored the pace above the limit now hold the cut under it.
  ["noise .2 gcra b5 503", "cold", "", { a: [97.5, 0.99], b: [95, 0.95], c: [95.5, 0.97], d: [97, 0.97] }],
  // d 94.4% (0.948) before the cut that judges the 503s going on after a soft wall (`softTrial.ts`),
  // with 5.2% 503s (now 3.6%): the pace sat above the limit after the drop, which admitted more.
  // c / d 88.5 / 93.3% before a hold's soft wall restarted the recent share further under the bar.
  // c 93.8 -> 94.8, d 97.1 -> 96.4% (8 seeds) since a trial may start in a hold: d's floor lowered from
  // 96.5 / 0.97 (0.968; two of its runs: one held a cut under the limit after the drop, 100 -> 93%, one
  // restored the pace above it).
  // d 96.4 -> 97.2% (0.98) since a probe's top step whose 503s met the limiter ends it as an abort (`observe.ts`).
  // c lowered 94.5 -> 94 for the same (`softTrial.ts` FAR_ABOVE): 94.8 -> 94.0% with 3.48 -> 2.01% 503s
  // (8 seeds); its seed 8 99.7% with 12.5% 503s above the limit -> 93.2% with 0.7% at a cut under it.
  ["noise .2 gcra b5 503", "local", "", { a: [97.5, 0.99], c: [94, 0.95], d: [96.5, 0.97] }],
  // The full bench's busy event loop (`blocked`), docs overstated (8 seeds): 82.7% (0.882) before the
  // last count was let lack the answers still on their way (`windowQuota.ts`): 48 of 50 counted, the
  // hold below the quota met the log's wall and fitted it at 27-33. Still one seed of 8 at 69% (a wall
  // while holding at 48.6 fitted at 33; not read further). With 1-2 ms each way, 84.1%: the slow
  // start's wall at 119 and the docs' 99 are 17% apart, no window read (at 10%: 90.9, but a bucket's
  // reading at small counts then broke its bound, `windowQuota.test.ts`), the log fitted at 34.
  // 88.7% (0.945) before the in-flight cap took the base round trip, not the usual one twice
  // (`inFlight.ts`): seeds 6 and 7 one wall more each (a 90.7 -> 89.9, b 88.7 -> 87.8; 3 seeds up).
  // d 85.3% before a limit change read the quota kept under again (`changedQuota`).
  // b 87.7% (0.93) before a wall while holding under an armed gate in force moved the plateau a margin,
  // not to a fit (`underGate`): that seed's hold at 48.6 fitted at 33.7, 72.7 -> 86.9%.
  // c 80.6% (0.86) before a probe's long cycle was read by its last second (`windowRate`).
  // c's ratio lowered from 0.89 (0.887, 83.1%) with the hold under the 0.1 s bucket's rate (`HOLD_TOP_SLACK`).
  ["sliding 1s RA=s", "blocked", "slog-1s", { b: [89, 0.95], c: [83, 0.885], d: [88.5, 0.945] }],
  // A 0.1 s bucket there: stray walls on the docs' plateau, each a whole-second pause; the bench's
  // tb-100ms 81.9-96.7%. Traced: a server stall held 6-7 requests the in-flight cap (twice a round
  // trip the blocks stretched) let through, where the bucket holds 5. a 87.6 / b 77.6% (0.925 /
  // 0.82) before the cap took the base round trip. b's misses are fits and probes (a probe walled at
  // 43.7, a fit at 32.7 never probed). With the stray wall's step to what all walls fit (merged
  // after), a 91.9 (0.971) over 8 seeds. Held, not met.
  // c 77.8% (0.82) before a hold's wall with answers held together whose fit read below 0.8 of the
  // hold's pace went on a margin lower (`STALL_FIT`): two seeds' holds at 45 fitted 26 and 33.
  ["bucket 0.1s RA=s", "blocked", "tb-100ms", { a: [91.5, 0.965], b: [81.5, 0.845], c: [84.5, 0.895] }]
]

describe("adaptive controller in the simulated matrix (8 fibers unless said)", () => {
  for (const [name, net, bench, cells] of floors) {
    it(`${name} (${net}${bench === "" ? "" : `; the bench's ${bench}`}): floors of goodput and ratio to the oracle`, () => {
      for (const [sc, [goodput, vsOracle]] of Object.entries(cells) as Array<[ScenarioId, Floor]>) {
        const m = measureMean(row(name), sc, net, 8)
        expect(m.goodputPct, sc).toBeGreaterThanOrEqual(goodput)
        expect(m.vsOracle, sc).toBeGreaterThanOrEqual(vsOracle)
      }
    })
  }

  // Met since the in-flight cap (`inFlight.ts`): a stall holds no more than the bucket's burst.
  goals("bucket 0.1s RA=s", ["a", "b"])

  it("the cold net's client hears nothing before its cold start, then answers come a round trip apart", () => {
    const cell = cellOf(row("bucket 0.5s RA=s"), "b", "cold", "adaptive")
    const heard: Array<number> = []
    simulate({ ...cell, durationMs: 2000, trace: (t) => void heard.push(t) })
    expect(cell.coldStartMs).toBeGreaterThan(0)
    expect(Math.min(...heard)).toBeGreaterThanOrEqual(cell.coldStartMs!)
    // The fibers' first requests all answered at once, then the pace goes on.
    expect(heard.filter((t) => t === heard[0]).length).toBe(cell.fibers)
    expect(heard.length).toBeGreaterThan(cell.fibers * 4)
  })

  it("the blocked net's client and server do nothing within a block: answers are heard when it ends", () => {
    const cell = cellOf(row("bucket 0.5s RA=s"), "b", "blocked", "adaptive")
    const freeAt = schedule(cell.blocks!, 1, 1_700_000_000_000)
    const heard: Array<number> = []
    simulate({ ...cell, seed: 1, durationMs: 3000, trace: (t) => void heard.push(t) })
    expect(heard.length).toBeGreaterThan(50)
    for (const t of heard) expect(freeAt(1_700_000_000_000 + t)).toBe(1_700_000_000_000 + t)
    // Some come in together, at a block's end.
    expect(new Set(heard).size).toBeLessThan(heard.length)
  })

  goals("bucket 1s RA=s", ["a", "b", "c", "d"])
  goals("bucket 2s RA=s", ["a", "b", "d"])
  // b / c 92.7 / 94.0% (seed 1) before a plateau cut after a precise Retry-After probed the range up to its wall soon.
  goals("bucket 0.2s RA=precise", ["a", "b", "c", "d"])
  goals("bucket 0.2s RA=none", ["a", "d"])
  // Since its HTTP-dates are the instant rounded up, not a second later (d was 91.8%, 8 seeds).
  goals("bucket 0.5s RA=date", ["a", "d"])
  // b / c 89.6 / 94.7% (seed 1) before a 429 without Retry-After, few requests in flight, resumed 10%
  // below it, and a probe settled at the step it held.
  goals("gcra b5 429", ["a", "b", "c", "d"])

  it("a heavy-tailed network delay (a retransmit, a slow path) is no server stall: no slot lost per late answer (means over seeds 1-3)", () => {
    // Were 70.6 / 90.6% (5% of ways 3x) and 94.1 / 94.1% (15% of ways 4x) while one late answer
    // paused a slot (`stallGate.ts`); 79.4 / 93.6 / 98.3 / 98.0% without the stall gate.
    const cells: ReadonlyArray<readonly [string, ScenarioId, NonNullable<Cell["tail"]>, number]> = [
      ["bucket 0.1s RA=s", "a", { p: 0.05, factor: 3 }, 78.5],
      ["bucket 0.5s RA=s", "d", { p: 0.05, factor: 3 }, 93],
      ["bucket 0.5s RA=s", "a", { p: 0.15, factor: 4 }, 97.5],
      ["bucket 2s RA=s", "a", { p: 0.15, factor: 4 }, 97.5]
    ]
    for (const [name, sc, tail, goodput] of cells) {
      expect(measureMean(row(name), sc, "delayed", 3, undefined, tail).goodputPct, `${name} ${sc} ${tail.p}`).toBeGreaterThanOrEqual(goodput)
    }
  })

  it("a limit drop with 32 fibers far away: more of a stray wall's burst rejected is a limit change, decided at once (means over seeds 1-8)", () => {
    // Were 1.89 / 1.74% (0.2 / 0.5 s buckets 50-100 ms away), 6.83% (1 s bucket 100-300 ms away) and
    // 2.90% (nginx 429 50-100 ms away) of 429s: the first wall was taken for a stray one, and the
    // pace stayed 2.5 times the new limit for a pause more.
    const cells: ReadonlyArray<readonly [string, Net, number]> = [
      ["bucket 0.2s RA=s", "delayed", 1], ["bucket 0.5s RA=s", "delayed", 1], ["bucket 1s RA=s", "lagged", 3.5], ["gcra b5 429", "delayed", 2],
      // 8.37% before a wall soon after a plateau cut (a whole pause) was read as a limit change: a cut a wall, eleven in 20 s.
      ["bucket 0.1s RA=s", "lagged", 6],
      // 1.34 / 1.22% before a hold after a change lasted until the known burst would run dry 20% above the
      // rate (`aimd.ts`): a 1 s bucket lasted 4.2 s at half the old pace, and the hold probed toward it.
      ["bucket 1s RA=s", "delayed", 0.8], ["bucket 2s RA=s", "delayed", 0.8]
    ]
    for (const [name, net, max] of cells) expect(measureMean(row(name), "d", net, 8).r429Pct, `${name} ${net}`).toBeLessThanOrEqual(max)
  })

  it("a ramp past the docs far away: its hold's 429s past the round trip's spread are a new wall (means over seeds 1-8)", () => {
    // 6.90% before (`rampHold`): the hold at 75 for 50 (a 1 s bucket, docs understated 5x, 100-300 ms
    // away) waited a whole round trip, and its next wall's cycle, read as clean, fitted 74.
    expect(measureMean(row("bucket 1s RA=none"), "c", "lagged", 8).r429Pct).toBeLessThanOrEqual(5.2)
  })

  it("nginx's bare 503s near by, a limit drop: at most 1% 503s (means over seeds 1-8)", () => {
    // 1.10% before a probe's top step whose 503s met the limiter ended it as an abort, not at the step
    // below, held 1 s under nginx's burst (`observe.ts` toppedOut): 0.95%.
    expect(measureMean(row("gcra b5 503"), "d", "local", 8).r429Pct).toBeLessThanOrEqual(1)
  })

  it("32 fibers 100-300 ms away send ~80/s under a pace of 100: a wall is read at what was sent, not at the pace (means over seeds 1-8)", () => {
    // A 1 s bucket, docs overstated 2x: was 86.8% with 5.6% 429s (3 seeds); the docs' 100 stood as
    // the plateau, its walls taken for stray ones, and the fit of the pace log read ~88. 92.7 / 2.63%
    // alone, 90.8 / 3.03% with the slow start's missing sends read as a pause (`startSent`).
    const m = measureMean(row("bucket 1s RA=s"), "b", "lagged", 8)
    expect(m.goodputPct).toBeGreaterThanOrEqual(90.5)
    expect(m.r429Pct).toBeLessThanOrEqual(3.1)
  })

  it("a 429 without Retry-After, few requests in flight: resumed 10% below, not a quarter (means over seeds 1-8)", () => {
    // Were 93.9 / 95.7% (nginx 429) and 97.3 / 97.0% (0.2 s bucket), docs overstated / understated.
    const cells: ReadonlyArray<readonly [string, ScenarioId, number]> = [
      ["gcra b5 429", "b", 97.5], ["gcra b5 429", "c", 97.5], ["bucket 0.2s RA=none", "b", 99], ["bucket 0.2s RA=none", "c", 98.3]
    ]
    for (const [name, sc, goodput] of cells) {
      const m = measureMean(row(name), sc, "local", 8)
      expect(m.goodputPct, `${name} ${sc}`).toBeGreaterThanOrEqual(goodput)
      expect(m.r429Pct, `${name} ${sc}`).toBeLessThanOrEqual(1)
    }
  })
  // c since a trial may start in a hold and a probe's soft wall leaves no range to probe soon (1.16% 3 seeds, now 0.79 over 8).
  goals("gcra b5 503", ["a", "c"])
  goals("noise .05 gcra b5 503", ["a"])
  goals("noise .2 gcra b5 503", ["a"])
  goals("bucket 2s RA=s", ["a", "b"], "delayed")

  /** `npm run demo` as a simulated cell: its pages one at a time, then its items, until all are fetched. */
  const demoCell = (seed: number, rest: Pick<Cell, "delayMs" | "trace"> & Partial<Pick<Cell, "lag">>): Cell => {
    const { burst, concurrency, errorRate, hiddenRate, items, pageSize } = demoSettings
    const pages = Math.ceil(items / pageSize)
    return {
      server: { family: { _tag: "bucket", burstS: burst / hiddenRate }, retryAfter: "seconds", headers: "none", noise: errorRate },
      documented: 2 * hiddenRate,
      hiddenAt: () => hiddenRate,
      ...nets.local,
      fibers: concurrency,
      durationMs: 60_000,
      warmupMs: 0,
      work: pages + items,
      serial: pages,
      client: "adaptive",
      seed,
      ...rest
    }
  }

  it("the demo's workload (docs 50, hidden 25, burst 5, its items 8 at a time, ~10 s): the rate it ends at and the rate accepted over the last 4 s of fetching within 5% of 25", () => {
    // `npm run demo` in virtual time: its pages one at a time, then its items. With 120 items (the
    // fetch over ~7.5 s in) the last of the three walls' whole-second pauses fell in the last 4 s:
    // 21-22.5 accepted (20-21 in real time). Before that, a probe into the fit's range met the wall and
    // paused every fiber 1 s.
    const { acceptedWindowMs, hiddenRate } = demoSettings
    for (let seed = 1; seed <= 4; seed++) {
      let rate = 0
      const r = simulate(demoCell(seed, { delayMs: [1, 8], trace: (_t, _status, _before, after) => (rate = after.rate) }))
      const end = r.finishedMs!
      const accepted = (r.admittedAtMs!.filter((t) => t > end - acceptedWindowMs).length * 1000) / acceptedWindowMs
      expect(Math.abs(rate - hiddenRate) / hiddenRate, `seed ${seed}: ended at ${rate}`).toBeLessThanOrEqual(0.05)
      expect(Math.abs(accepted - hiddenRate) / hiddenRate, `seed ${seed}: accepted ${accepted}`).toBeLessThanOrEqual(0.05)
    }
  })

  it("the demo's workload 5-100 or 20-150 ms away, with and without a loaded event loop: the plateaus the walls set never collapse", () => {
    // Its pages go one at a time (~9/s) under a pace of 50; the fit took the pace for what was sent
    // and read the first stretch as a small bucket drained at 50: plateaus of 13.4-14.1 (seeds 1, 2).
    // With the sends counted (`paceLog.ts`) the lowest was 14.8 over seeds 1-16: the log still said
    // more sent before the slow start's wall than went out (26 for 16 accepted), and the hold's short
    // cycle read against it as ~15 with a bigger bucket. Such a fit is dropped (`PINNED_AT_DOCS`): 19.7.
    const { hiddenRate } = demoSettings
    for (const delayMs of [[5, 100], [20, 150]] as const) {
      for (const lag of [undefined, { p: 0.05, maxMs: 150 }]) {
        for (let seed = 1; seed <= 16; seed++) {
          let lowest = Infinity
          simulate(demoCell(seed, {
            delayMs,
            ...(lag === undefined ? {} : { lag }),
            trace: (_t, _status, _before, after) => {
              if (after.phase === "steady" && after.decreases >= 2) lowest = Math.min(lowest, after.rate)
            }
          }))
          expect(lowest, `seed ${seed}, ${delayMs[0]}-${delayMs[1]} ms, lag ${lag !== undefined}`).toBeGreaterThanOrEqual(0.78 * hiddenRate)
        }
      }
    }
  })

  it("nginx-style bare 503s a long round trip late never collapse the rate (bench: 2% of the limit)", () => {
    // A request sent right as the pace resumed met the wall: every rate explains that, and the fit
    // took the lowest it was given (minRate, 1% of the documented rate) and held it 30 s.
    for (let seed = 1; seed <= 12; seed++) {
      const m = measure(row("gcra b5 503"), "b", "lagged", undefined, seed)
      expect(m.adaptive.goodputPct, `seed ${seed}`).toBeGreaterThanOrEqual(85)
    }
  })

  it("the documented rate is never worse than a fixed limiter at it when the docs are right", () => {
    for (const name of ["bucket 0.2s RA=s", "bucket 0.5s RA=s", "gcra b5 503"]) {
      const m = measure(row(name), "a", "local")
      expect(m.vsOracle, name).toBeGreaterThanOrEqual(0.98)
    }
  })

  it("a 50/s token bucket of 0.2 to 0.3 s, docs right: none loses to the buckets of 0.2 and 0.3 s, whose slow start counts no window of the docs' 50 (0.24-0.255 s, gated 50 per 1.005 s at once: 95.7-97.5%)", () => {
    // A bucket of ~0.23-0.26 s accepts ~50 by the slow start's wall at ~0.77 s, as a 1 s log of 50 does.
    const goodput = (burstS: number) =>
      measureMean({ name: `bucket ${burstS}s`, server: { family: { _tag: "bucket", burstS }, retryAfter: "seconds", headers: "none" } }, "a", "local", 3).goodputPct
    const unaffected = Math.min(goodput(0.2), goodput(0.3))
    for (let i = 1; i < 20; i++) {
      const burstS = 0.2 + i * 0.005
      expect(goodput(burstS), `burst ${burstS.toFixed(3)} s`).toBeGreaterThanOrEqual(unaffected - 0.5)
    }
  })

  /**
   * The goal's misses, floors at what the controller reaches (4 seeds): on a server whose own wall is
   * a bare 503, noise 503s in the hold after the slow start's wall still read as walls (the classifier's
   * usual share is not learnt yet: 0.05, a bar of 18%) and a limit drop's fit is found late. The leak
   * rule on soft failures below that bar (`softFailure.ts`, removed) made it worse: .2 a / b / c 0.61 /
   * 0.67 / 0.75, gated off at a learnt share > 3% it still cost .05 delayed b 0.956 -> 0.904.
   */
  // Was .05 b 0.93, .2 a / b / c / d 0.74 / 0.855 / 0.81 / 0.70 before a wall past its cut restarted
  // the recent share under the bar and failures past 3/4 of the way to it were not learnt
  // (`congestion.ts`; now .2 b 0.968).
  const noiseMissed: Partial<Record<string, Partial<Record<ScenarioId, number>>>> = {
    // a 0.945 -> 1.00 (goal met), d 0.84 -> 0.941 since a slow start's deep soft cut restarted the
    // recent share further under the bar (`Congestion.DEEP_CUT_RESTART`).
    // c 0.915 -> 0.889 since a probe's step ends at its first 503s the usual share does not explain
    // (`softTrial.ts`): the clean twin gained (96.8 -> 97.9%, 8 seeds), and two noise 503s close
    // together end a probe of the noisy one at its plateau (seed 1: 96.4 -> 92.0%); d 0.940 -> 0.925,
    // the noisy one no longer above the limit after the drop (5.2 -> 3.6% 503s). Over every net (6
    // seeds) the ratio's mean rose, 0.958 -> 0.962, and seed 1's lowest 0.818 -> 0.90.
    // c 0.889 -> 0.884 since a probe's abort is not above the limit its step's share implies (the
    // noisy runs the same, the clean twin's seeds 1 and 3 higher), then c / d 0.922 / 0.967 since a
    // hold's soft wall restarts the recent share further under the bar (`observe.ts` deepCut).
    "noise .2 gcra b5 503": { c: 0.92 }
  }

  it("random 5xx without Retry-After do not lower the rate: >= 0.95 of the same client without them", () => {
    // Over four seeds: one wall more or less in a single run moves the ratio by a few %.
    for (const name of ["noise .05 bucket 0.2s", "noise .2 bucket 0.2s", "noise .05 gcra b5 503", "noise .2 gcra b5 503"]) {
      for (const sc of ["a", "b", "c", "d"] as const) {
        let noisy = 0, clean = 0
        for (let seed = 1; seed <= 4; seed++) {
          const m = measure(row(name), sc, "local", undefined, seed)
          noisy += m.adaptive.admittedPerS
          clean += m.adaptive.admittedPerS / m.noiseVsClean!
        }
        expect(noisy / clean, `${name} ${sc}`).toBeGreaterThanOrEqual(noiseMissed[name]?.[sc] ?? 0.95)
      }
    }
  })
})
