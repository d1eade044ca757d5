/**
 * What the client actually delivers (pure): answers per `TP_WINDOW_MS`. When latency or concurrency
 * caps what goes out, a pace raised past twice that is a burst waiting for the day concurrency rises.
 *
 * @since 0.2.0
 */
import type { AimdConfig, AimdState } from "./aimdState.js"

/** Throughput measuring window. */
const TP_WINDOW_MS = 500
/** The pace never exceeds this multiple of what was delivered in the last window. */
const DELIVERED_HEADROOM = 2

/**
 * `s` with an answer at `now` counted.
 *
 * @since 0.2.0
 * @category math
 */
export const measureDelivered = (s: AimdState, now: number): AimdState => {
  if (s.tpFrom === null) return { ...s, tpFrom: now, tpCount: 1 }
  if (now - s.tpFrom < TP_WINDOW_MS) return { ...s, tpCount: s.tpCount + 1 }
  return { ...s, delivered: (s.tpCount * 1000) / (now - s.tpFrom), tpFrom: now, tpCount: 1 }
}

/**
 * The highest pace the delivered throughput justifies (latency or concurrency may cap it).
 *
 * @since 0.2.0
 * @category math
 */
export const deliveredCap = (c: AimdConfig, s: AimdState): number =>
  s.delivered === null ? c.maxRate : Math.max(c.initialRate, s.ceiling ?? 0, DELIVERED_HEADROOM * s.delivered)
