/**
 * The options of a circuit breaker as a user writes them, and their validation into the machine's
 * config (every bad value fails with `InvalidCircuitBreakerOptions` naming the field).
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Either, type Exit, Schema } from "effect"
import { MAX_BREAKER_COUNT, MAX_REQUEST_WAIT } from "../internal/bounds.js"
import { anyDurationUpTo, decodeOptions, Fraction, FunctionOption, intBetween, OptionName } from "../internal/schema.js"
import { defaultClassify } from "./classify.js"
import * as Defaults from "./defaults.js"
import { InvalidCircuitBreakerOptions } from "./errors.js"
import type * as Machine from "./machine.js"

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

/**
 * A count of the breaker (failures, calls, probes): 1 to `MAX_BREAKER_COUNT`. The config's breaker
 * section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const BreakerCount = intBetween(1, MAX_BREAKER_COUNT)

/**
 * The cross-field rule of options and config alike: the rate is judged once `minimumCalls` calls
 * are in a window of `windowSize`, so it cannot ask for more.
 *
 * @since 0.1.0
 * @internal
 */
export const minimumCallsCheck = (windowSize: number, minimumCalls: number | undefined): Schema.FilterOutput =>
  minimumCalls === undefined || minimumCalls <= windowSize
    ? true
    : { path: ["minimumCalls"], message: `minimumCalls ${minimumCalls} must be <= windowSize ${windowSize}` }

/**
 * The schema `CircuitBreaker.make` decodes its options with. `recoveryTimeout` may be 0 here (probe at
 * once, which tests and simulations use) while the config section wants more than 0: both bounds are
 * kept as they were (issue 14).
 *
 * @since 0.1.0
 */
export const CircuitBreakerOptionsSchema = Schema.Struct({
  name: Schema.optional(OptionName),
  failureThreshold: Schema.optional(BreakerCount),
  failureRate: Schema.optional(Fraction),
  windowSize: Schema.optional(BreakerCount),
  minimumCalls: Schema.optional(BreakerCount),
  successThreshold: Schema.optional(BreakerCount),
  recoveryTimeout: Schema.optional(anyDurationUpTo(MAX_REQUEST_WAIT)),
  halfOpenMaxProbes: Schema.optional(BreakerCount),
  classify: Schema.optional(FunctionOption<(exit: Exit.Exit<unknown, unknown>) => Machine.Verdict>())
}).pipe(Schema.filter((o) => minimumCallsCheck(o.windowSize ?? Defaults.WINDOW_SIZE, o.minimumCalls)))

const decode = decodeOptions(
  CircuitBreakerOptionsSchema,
  (field, reason) => new InvalidCircuitBreakerOptions({ field, reason })
)

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
> =>
  Either.map(decode(options), (o) => {
    const windowSize = o.windowSize ?? Defaults.WINDOW_SIZE
    return {
      name: o.name ?? "default",
      classify: o.classify ?? defaultClassify,
      config: {
        // One rule given: only that one. Neither: both defaults.
        failureThreshold: o.failureThreshold ?? (o.failureRate === undefined ? Defaults.FAILURE_THRESHOLD : undefined),
        failureRate: o.failureRate ?? (o.failureThreshold === undefined ? Defaults.FAILURE_RATE : undefined),
        windowSize,
        minimumCalls: o.minimumCalls ?? Math.min(Defaults.MINIMUM_CALLS, windowSize),
        successThreshold: o.successThreshold ?? 1,
        recoveryTimeoutMs: o.recoveryTimeout === undefined ? 30_000 : Duration.toMillis(o.recoveryTimeout),
        halfOpenMaxProbes: o.halfOpenMaxProbes ?? 1
      }
    }
  })
