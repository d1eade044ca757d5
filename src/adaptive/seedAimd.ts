/**
 * The plain seed-style AIMD (pure), the benchmarks' baseline.
 *
 * @since 0.1.0
 */
import type { AimdConfig } from "./aimdState.js"

/**
 * The plain seed-style AIMD, kept as the benchmark baseline: `+increaseStep` per success,
 * `× decreaseFactor` per backoff, clamped to `[minRate, maxRate]`. No slow start, no memory, no
 * same-burst filter, no headers.
 *
 * @since 0.1.0
 * @category baseline
 */
export const seedAimd = (
  c: Pick<AimdConfig, "minRate" | "maxRate" | "increaseStep" | "decreaseFactor">,
  rate: number,
  outcome: "success" | "backoff"
): number =>
  Math.min(
    c.maxRate,
    Math.max(c.minRate, outcome === "success" ? rate + c.increaseStep : rate * c.decreaseFactor)
  )
