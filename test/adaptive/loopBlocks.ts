/**
 * The event loop of a process running many clients and their servers at once (the real-time bench's
 * six cells side by side) is busy in blocks: while one runs, nothing else of the process does. A
 * deterministic schedule of them (per seed), for the simulation's `blocked` net.
 */
import { prng } from "../../src/testing/prng.js"

export interface Blocks {
  /** A block starts on average every `everyMs` (uniform gaps in [0, 2 × everyMs])… */
  readonly everyMs: number
  /** …and lasts uniform in [0, maxMs]. */
  readonly maxMs: number
}

/**
 * When the loop is free again at or after `t` (`t` itself when no block holds it), for instants
 * asked in any order from `t0` on: the schedule is drawn lazily and kept.
 */
export const schedule = (b: Blocks, seed: number, t0: number): (t: number) => number => {
  const rnd = prng(seed + 15_485_863)
  const starts: Array<number> = [], ends: Array<number> = []
  let drawnTo = t0
  const draw = (until: number) => {
    while (drawnTo <= until) {
      const start = drawnTo + rnd() * 2 * b.everyMs
      const end = start + rnd() * b.maxMs
      starts.push(start), ends.push(end)
      drawnTo = end
    }
  }
  return (t) => {
    draw(t)
    // The last block starting at or before `t`.
    let lo = 0, hi = starts.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid]! <= t) lo = mid + 1
      else hi = mid
    }
    return lo > 0 && t < ends[lo - 1]! ? ends[lo - 1]! : t
  }
}
