/**
 * The options of a circuit breaker as a user writes them, and their validation into the machine's
 * config (every bad value fails with `InvalidCircuitBreakerOptions` naming the field).
 *
 * @since 0.1.0
 * @internal
 */
import { type Duration, Either, type Exit } from "effect"
import { MAX_BREAKER_COUNT } from "../internal/bounds.js"
import { defaultClassify } from "./classify.js"
import * as Defaults from "./defaults.js"
import { InvalidCircuitBreakerOptions } from "./errors.js"
import type * as Machine from "./machine.js"
import * as Permits from "./permit.js"

/**
 * Options as a user writes them.
 *
 * Tripping: give `failureThreshold` (consecutive failures), `failureRate` (fraction over the last
 * `windowSize` calls, once `minimumCalls` were seen), or both (whichever is reached first). With
 * neither, both rules of `defaults.ts`: 20 consecutive failures, or half of the last 100 calls once
 * 50 were seen (a total outage opens the circuit within 20 calls; 20% random failures never do).
 *
 * Bounds (the config's): counts from 1 to 10,000, `recoveryTimeout` from 0 to 1 day; a value outside fails
 * with `InvalidCircuitBreakerOptions` naming the field.
 *
 * @since 0.1.0
 */
export interface CircuitBreakerOptions {
  /** Shown in errors, snapshots and change events. Default `"default"`. */
  readonly name?: string | undefined
  readonly failureThreshold?: number | undefined
  /** In (0, 1]. */
  readonly failureRate?: number | undefined
  /** Calls in the sliding window. Default 100. */
  readonly windowSize?: number | undefined
  /** Default `min(50, windowSize)`. */
  readonly minimumCalls?: number | undefined
  /** Successful probes needed to close from half-open. Default 1. */
  readonly successThreshold?: number | undefined
  /** Time open before probing. Default 30 s. */
  readonly recoveryTimeout?: Duration.DurationInput | undefined
  /** Probes in flight at once while half-open. Default 1. */
  readonly halfOpenMaxProbes?: number | undefined
  /**
   * How a call's result counts. Default `defaultClassify`: 5xx and 429 responses, transport
   * errors and timeouts are failures; other responses are successes; interruptions and unrelated
   * errors are ignored. A custom one answers `"ignore"` for what must not count either way.
   */
  readonly classify?: ((exit: Exit.Exit<unknown, unknown>) => Machine.Verdict) | undefined
}

/** @internal */
export const isPositiveInt = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 1

/**
 * Validates options and fills in defaults.
 *
 * @since 0.1.0
 */
export const resolveOptions = (
  options: CircuitBreakerOptions = {}
): Either.Either<
  {
    readonly name: string
    readonly config: Machine.MachineConfig
    readonly classify: (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict
  },
  InvalidCircuitBreakerOptions
> => {
  const fail = (field: string, reason: string) => Either.left(new InvalidCircuitBreakerOptions({ field, reason }))
  const name = options.name ?? "default"
  if (typeof name !== "string" || name.length === 0) return fail("name", "expected a non-empty string")
  const positive = ["failureThreshold", "windowSize", "minimumCalls", "successThreshold", "halfOpenMaxProbes"] as const
  for (const field of positive) {
    const v = options[field]
    if (v !== undefined && !(isPositiveInt(v) && v <= MAX_BREAKER_COUNT)) {
      return fail(field, `expected an integer from 1 to ${MAX_BREAKER_COUNT}, got ${String(v)}`)
    }
  }
  const rate = options.failureRate
  if (rate !== undefined && !(typeof rate === "number" && Number.isFinite(rate) && rate > 0 && rate <= 1)) {
    return fail("failureRate", `expected a number in (0, 1], got ${String(rate)}`)
  }
  const windowSize = options.windowSize ?? Defaults.WINDOW_SIZE
  const minimumCalls = options.minimumCalls ?? Math.min(Defaults.MINIMUM_CALLS, windowSize)
  if (minimumCalls > windowSize) {
    return fail("minimumCalls", `must not exceed windowSize (${windowSize}), got ${minimumCalls}`)
  }
  const recovery = Permits.durationMillis("recoveryTimeout", options.recoveryTimeout, 30_000, 0)
  if (Either.isLeft(recovery)) return Either.left(recovery.left)
  const recoveryMs = recovery.right
  if (options.classify !== undefined && typeof options.classify !== "function") return fail("classify", "expected a function")
  const classify = options.classify ?? defaultClassify
  return Either.right({
    name,
    classify,
    config: {
      // One rule given: only that one. Neither: both defaults.
      failureThreshold: options.failureThreshold ?? (rate === undefined ? Defaults.FAILURE_THRESHOLD : undefined),
      failureRate: rate ?? (options.failureThreshold === undefined ? Defaults.FAILURE_RATE : undefined),
      windowSize,
      minimumCalls,
      successThreshold: options.successThreshold ?? 1,
      recoveryTimeoutMs: recoveryMs,
      halfOpenMaxProbes: options.halfOpenMaxProbes ?? 1
    }
  })
}

