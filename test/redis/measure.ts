/**
 * Measurements of the Redis tests and benchmarks, free of vitest (the benchmarks bundle them):
 * script calls counted by the server, the worst overshoot of a limit over any window (from the times
 * admissions were seen, or provable from the interval each one happened in).
 */
import type { Redis as IORedis } from "ioredis"

/** Script calls the server ran since the last `CONFIG RESETSTAT` (EVALSHA and EVAL, from `INFO commandstats`). */
export const scriptCalls = async (client: IORedis): Promise<number> => {
  const info = await client.info("commandstats")
  let calls = 0
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1])
  return calls
}

/**
 * The most admissions beyond a limit over any window: the largest `count(window) - (capacity + rate
 * * (width + jitterMs))` over every window between two admissions (`times` sorted, epoch ms; rate in
 * requests per ms), or 0. Linear: for each end, the best start is tracked as it goes.
 */
export const maxOvershoot = (times: ReadonlyArray<number>, capacity: number, ratePerMs: number, jitterMs = 0): number => {
  let worst = 0
  let bestStart = -Infinity
  for (let j = 0; j < times.length; j++) {
    bestStart = Math.max(bestStart, ratePerMs * times[j]! - j)
    // Window [t_i, t_j]: (j - i + 1) - capacity - rate * (t_j - t_i + jitter).
    worst = Math.max(worst, j + 1 - ratePerMs * times[j]! + bestStart - capacity - ratePerMs * jitterMs)
  }
  return worst
}

/**
 * The most admissions provably beyond a limit over any window: each admission happened (on the
 * server, at its slot time) somewhere in `[asked, done]`, so a window `[a, b]` surely holds those
 * whose whole interval lies in it. Unlike {@link maxOvershoot} of the `done` times, a process that
 * was descheduled before it read its replies cannot make admissions look bunched. Quadratic.
 */
export const provableOvershoot = (
  asked: ReadonlyArray<number>,
  done: ReadonlyArray<number>,
  capacity: number,
  ratePerMs: number
): number => {
  const byDone = done.map((d, i) => [asked[i]!, d] as const).sort((x, y) => x[1] - y[1])
  let worst = 0
  for (const a of new Set(asked)) {
    let count = 0
    for (const [s, d] of byDone) {
      if (s < a) continue
      count++
      worst = Math.max(worst, count - capacity - ratePerMs * (d - a))
    }
  }
  return worst
}
