/**
 * The limit changed: what one cycle after the change reads when the server's bucket still holds the
 * seconds of its rate it held while the docs stood (pure).
 *
 * @since 0.3.0
 */
import type { AimdConfig, AimdState } from "./aimdState.js"
import * as BaseRtt from "./baseRtt.js"
import { burstSecondsAt, type Cycle, rateAtBurst } from "./bucketFit.js"

/**
 * Requests that may reach the server together although sent apart (network jitter, a catch-up after
 * a late timer): near the wall the bucket drains by the pace's small excess over the rate, so a few
 * requests bunched are a wall a long time early or late. The burst read here, and the documented rate
 * (`wallDecision.ts`), are judged with this slack.
 */
export const JITTER_TOKENS = 3

/**
 * The seconds of its rate the server's bucket held while the docs stood: the slow start's wall (from a
 * full bucket) at the documented rate (`burstSecondsAt`), give or take `JITTER_TOKENS` and what the
 * network's spread (the usual round trip above the shortest) moves that wall by at the docs' rate.
 */
export const knownBurstS = (s: AimdState, d: number): readonly [number, number] | undefined => {
  const full = s.priorValid ? s.cycles.find((cycle) => cycle.start === "full") : undefined
  if (full === undefined) return storedBurstS(s)
  const k = burstSecondsAt(s.paceLog, full, d)
  const slack = (JITTER_TOKENS + (d * BaseRtt.spreadMs(s)) / 1000) / d
  return k === undefined ? undefined : [Math.max(1 / d, k - slack), k + slack]
}

/** A stored state's burst range is data from outside (a shared store): two positive finite seconds, or none. */
export const storedBurstS = (s: AimdState): readonly [number, number] | undefined => {
  const b: unknown = s.burstS
  return Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === "number" && Number.isFinite(x) && x > 0) ? [b[0], b[1]] : undefined
}

/**
 * The rates the burst's range reads the cycle as must agree within this share to be taken (`changedRead`).
 * The range is about symmetric around the burst read, so its middle is the reading and the spread its
 * doubt. Within 10%, a 0.2 s bucket (read 0.10-0.29 s: 17.2-22.5 for 20) held a quarter below the
 * hold's wall and probed back (a wall more, a whole pause): 32 fibers 50-100 ms away, dropped 50 -> 20,
 * 8 seeds, 90.7 -> 92.9%; 100-300 ms away 0.5 s 91.0 -> 92.6%; but 1 s there 96.5 -> 95.3% (its slow
 * start's wall read as 1.25-1.68 s: 17.8 for 20) and 0.5 s HTTP-date 1-2 ms away 98.8 -> 97.3%.
 */
const CHANGED_AGREE = 0.35

/**
 * After the limit changed, the rate one cycle shows when the bucket still holds the same seconds of its
 * rate (`rateAtBurst`): the cycle from the change's wall, or from the hold's after it, read so at once
 * instead of holding at half the pace, then a quarter below the next wall, then probing (two walls
 * more, each a whole pause). Taken (`agreed`) only when the rates the burst's range reads agree
 * (`CHANGED_AGREE`): a burst of a tenth of a second is read too loosely. Not with a window
 * quota kept under (`wallWindow.ts` reads that). Buckets dropped 50 -> 20, 8 seeds: 0.5 s 32 fibers
 * 50-100 ms away 94.0 -> 95.9%, HTTP-date there 90.0 -> 93.0%, 1 s near by 98.2 -> 99.9% (cold 98.6 -> 100.5%).
 * A loose reading still bounds the hold (`atBurst`, the rate at the burst read, the middle of its
 * range): a hold at half or three quarters of the last wall's pace sat above a limit dropped to 0.4
 * of it, and its wall came from a cycle too short to fit (a few requests against 2-4 tokens), so a
 * second hold and a probe's wall followed. Held at the reading when lower, the hold proves itself
 * or meets a wall after a cycle long enough to fit. Dropped 50 -> 20, 8 seeds: 0.1 s bucket 1-2 ms
 * away 86.5 -> 90.1%, 50-100 ms 78.2 -> 78.7%, blocked loop 77.9 -> 78.7%; 0.2 s 100-300 ms away
 * 79.3 -> 82.8%, blocked 89.0 -> 90.6%; 0.5 s 100-300 ms away 91.9 -> 92.9%; but 0.2 s HTTP-date 1-2 ms
 * away 94.3 -> 93.1% (the hold's wall landed later in its second: its date's pause 0.2 -> 1 s) and
 * 100-300 ms away 89.8 -> 88.9%. The geometric middle of the range instead: 0.1 s 1-2 ms away 88.5%.
 */
export const changedRead = (
  c: AimdConfig,
  s: AimdState,
  closed: Cycle | undefined,
  changed: boolean,
  burstS: readonly [number, number] | undefined,
  lower: number,
  wallPace: number
): { readonly agreed: number | undefined; readonly atBurst: number | undefined } | undefined => {
  const afterChange = s.phase === "hold" && s.ceiling === null
  if (!(changed || afterChange) || burstS === undefined || closed === undefined || closed.start !== "empty" || closed.wallAt <= closed.resumeAt) return undefined
  if (s.windowGate !== null && s.windowGate !== undefined && s.windowGate.armed) return undefined
  const lo = Math.max(c.minRate, lower)
  const high = rateAtBurst(s.paceLog, closed, burstS[0], lo, wallPace)
  const low = rateAtBurst(s.paceLog, closed, burstS[1], lo, wallPace)
  if (high === undefined || low === undefined) return undefined
  return {
    agreed: high > low * (1 + CHANGED_AGREE) ? undefined : (high + low) / 2,
    atBurst: rateAtBurst(s.paceLog, closed, (burstS[0] + burstS[1]) / 2, lo, wallPace)
  }
}
