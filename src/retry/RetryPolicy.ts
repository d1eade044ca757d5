/**
 * Retry policies: which outcomes retry, how long to wait, and when to give up. A policy is plain
 * data (validated once by `make`); `schedule` turns it into an ordinary `Schedule`, the one retry
 * mechanism: `Effect.retry` takes it as it is, and `retryRequest` (in `./retryRequest.ts`) steps it
 * for HTTP attempts (classifying responses, guarding non-idempotent methods).
 *
 * @since 0.1.0
 */
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import {
  Duration,
  Effect,
  Either,
  Option,
  Random,
  Schedule,
  ScheduleDecision,
  ScheduleInterval
} from "effect"
import { decodeOptions } from "../internal/schema.js"
import { backoffDelay, type BackoffOptions, DEFAULT_JITTER_FRACTION, type Jitter } from "./backoff.js"
import { responseOf } from "./classify.js"
import { InvalidRetryPolicy } from "./errors.js"
import { DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY, RetryPolicyOptionsSchema } from "./options.js"
import { parseRetryAfter, serverClockOf } from "./retryAfter.js"

export {
  isIdempotentMethod,
  isRetryableError,
  isRetryableOutcome,
  isTransportError,
  NON_IDEMPOTENT_METHODS,
  responseOf
} from "./classify.js"

/**
 * What a retry decision hook sees: a response (any status) or a failure of the attempt.
 *
 * @since 0.1.0
 */
export type RetryOutcome =
  | { readonly _tag: "Response"; readonly response: HttpClientResponse }
  | { readonly _tag: "Error"; readonly error: unknown }

/**
 * The answer of a custom decision hook:
 * - `Retry`: retry (after `delay` if given, else after `Retry-After` / the backoff), still within
 *   `maxRetries` and `totalBudget`
 * - `Stop`: hand this outcome back as it is
 * - `Default`: apply the policy's own rules
 *
 * @since 0.1.0
 */
export type RetryDecision =
  | { readonly _tag: "Retry"; readonly delay?: Duration.Duration | undefined }
  | { readonly _tag: "Stop" }
  | { readonly _tag: "Default" }

/**
 * Constructors for `RetryDecision`.
 *
 * @since 0.1.0
 */
export const RetryDecision = {
  retry: (delay?: Duration.DurationInput): RetryDecision =>
    delay === undefined ? { _tag: "Retry" } : { _tag: "Retry", delay: Duration.decode(delay) },
  stop: { _tag: "Stop" } as RetryDecision,
  default: { _tag: "Default" } as RetryDecision
} as const

/**
 * Options as a user writes them; every field is optional. The bounds are the config's: at most 100
 * retries, durations from 0 to 1 day (in any form; `-1` or `"-5 seconds"` are refused, not read as 0),
 * multiplier 1 to 100, statuses 400-599. A value outside fails with `InvalidRetryPolicy` naming the field.
 *
 * Attempts vs retries: `maxRetries` counts retries *after* the first attempt (default 3, so at
 * most 4 attempts). `maxAttempts` is the same limit counted with the first attempt included
 * (`maxAttempts = maxRetries + 1`); give one or the other.
 *
 * @since 0.1.0
 */
export interface RetryPolicyOptions {
  /** Retries after the first attempt. Default 3. */
  readonly maxRetries?: number | undefined
  /** Total attempts including the first (alternative to `maxRetries`). */
  readonly maxAttempts?: number | undefined
  /** Delay before the first retry, before jitter. Default 250 ms. */
  readonly initialDelay?: Duration.DurationInput | undefined
  /** Cap on any computed delay. Default 30 s. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** Default 2. */
  readonly multiplier?: number | undefined
  /** Default `"full"`. */
  readonly jitter?: Jitter | undefined
  /** Spread of `"proportional"` jitter in [0, 1]. Default 0.2. */
  readonly jitterFraction?: number | undefined
  /**
   * Longest time from the first attempt to the start of the last retry: a retry whose wait would
   * end past it is not made. Default 2 minutes.
   */
  readonly totalBudget?: Duration.DurationInput | undefined
  /** Response statuses that retry. Default 408, 425, 429, 500, 502, 503, 504. */
  readonly retryOnStatus?: Iterable<number> | undefined
  /** Retry transport failures (connection refused/reset) and timeouts. Default `true`. */
  readonly retryOnTransport?: boolean | undefined
  /** Let `Retry-After` decide the wait when the server sends one. Default `true`. */
  readonly respectRetryAfter?: boolean | undefined
  /** Cap on a `Retry-After` wait. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** Retry POST/PATCH even without an `Idempotency-Key`. Default `false`. */
  readonly retryNonIdempotent?: boolean | undefined
  /**
   * `"generate"`: give a POST/PATCH without an `Idempotency-Key` a random one, sent unchanged on
   * every attempt (which also makes it retryable). Default `"none"`.
   */
  readonly idempotencyKey?: "none" | "generate" | undefined
  /** Custom decision hook; `attempt` is the 1-based number of the attempt that produced `outcome`. */
  readonly decide?: ((outcome: RetryOutcome, attempt: number) => RetryDecision) | undefined
}

/**
 * A validated policy with every default filled in.
 *
 * @since 0.1.0
 */
export interface RetryPolicy {
  readonly maxRetries: number
  readonly initialDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly multiplier: number
  readonly jitter: Jitter
  readonly jitterFraction: number
  readonly totalBudget: Duration.Duration
  readonly retryOnStatus: ReadonlySet<number>
  readonly retryOnTransport: boolean
  readonly respectRetryAfter: boolean
  readonly maxRetryAfter: Duration.Duration
  readonly retryNonIdempotent: boolean
  readonly idempotencyKey: "none" | "generate"
  readonly decide: ((outcome: RetryOutcome, attempt: number) => RetryDecision) | undefined
}

/**
 * Statuses retried by default: request timeout, too early, too many requests, and the transient
 * server errors.
 *
 * @since 0.1.0
 */
export const DEFAULT_RETRY_STATUSES: ReadonlyArray<number> = [408, 425, 429, 500, 502, 503, 504]

/**
 * The defaults: 3 retries (4 attempts), 250 ms doubling to at most 30 s with full jitter, a
 * 2-minute budget, `Retry-After` honoured up to 60 s. Finite and safe.
 *
 * @since 0.1.0
 */
export const defaults: RetryPolicy = {
  maxRetries: 3,
  initialDelay: DEFAULT_INITIAL_DELAY,
  maxDelay: DEFAULT_MAX_DELAY,
  multiplier: 2,
  jitter: "full",
  jitterFraction: DEFAULT_JITTER_FRACTION,
  totalBudget: Duration.minutes(2),
  retryOnStatus: new Set(DEFAULT_RETRY_STATUSES),
  retryOnTransport: true,
  respectRetryAfter: true,
  maxRetryAfter: Duration.seconds(60),
  retryNonIdempotent: false,
  idempotencyKey: "none",
  decide: undefined
}

const decode = decodeOptions(RetryPolicyOptionsSchema, (field, reason) => new InvalidRetryPolicy({ field, reason }))

/**
 * Validates options and fills in defaults. Fails with `InvalidRetryPolicy` naming the first bad
 * field. `Either` is an `Effect`, so `yield* RetryPolicy.make(...)` works in `Effect.gen`.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "effect-governor"
 * const policy = yield* RetryPolicy.make({ maxRetries: 5, jitter: "proportional" })
 * ```
 *
 * @since 0.1.0
 */
export const make = (options: RetryPolicyOptions = {}): Either.Either<RetryPolicy, InvalidRetryPolicy> =>
  Either.map(decode(options), (o): RetryPolicy => ({
    maxRetries: o.maxAttempts === undefined ? o.maxRetries ?? defaults.maxRetries : o.maxAttempts - 1,
    initialDelay: o.initialDelay ?? defaults.initialDelay,
    maxDelay: o.maxDelay ?? defaults.maxDelay,
    multiplier: o.multiplier ?? defaults.multiplier,
    jitter: o.jitter ?? defaults.jitter,
    jitterFraction: o.jitterFraction ?? defaults.jitterFraction,
    totalBudget: o.totalBudget ?? defaults.totalBudget,
    retryOnStatus: o.retryOnStatus === undefined ? defaults.retryOnStatus : new Set(o.retryOnStatus),
    retryOnTransport: o.retryOnTransport ?? defaults.retryOnTransport,
    respectRetryAfter: o.respectRetryAfter ?? defaults.respectRetryAfter,
    maxRetryAfter: o.maxRetryAfter ?? defaults.maxRetryAfter,
    retryNonIdempotent: o.retryNonIdempotent ?? defaults.retryNonIdempotent,
    idempotencyKey: o.idempotencyKey ?? defaults.idempotencyKey,
    decide: o.decide
  }))

/** The backoff parameters of a policy, in milliseconds, for `backoffDelay`. */
const backoffOptions = (policy: RetryPolicy): BackoffOptions => ({
  initial: Duration.toMillis(policy.initialDelay),
  max: Duration.toMillis(policy.maxDelay),
  multiplier: policy.multiplier,
  jitter: policy.jitter,
  jitterFraction: policy.jitterFraction
})

/**
 * Where the wait before a retry came from: a `decide` hook's own delay, the server's `Retry-After`
 * (capped at `maxRetryAfter`), or the jittered backoff.
 *
 * @since 0.1.0
 */
export type DelaySource = "RetryAfter" | "Backoff" | "Decide"

/**
 * One retry the schedule allows (its output): after which attempt, how long to wait, and why.
 *
 * @since 0.1.0
 */
export interface RetryStep {
  /** The 1-based attempt that failed; the retry is attempt `attempt + 1`. */
  readonly attempt: number
  readonly delay: Duration.Duration
  readonly source: DelaySource
  /** The server's `Retry-After` (before capping), when it set the wait. */
  readonly retryAfter: Duration.Duration | undefined
}

/**
 * What the HTTP retry driver (`retryRequest`, the client's retry step) feeds the schedule: the
 * outcome, the `Retry-After` it already parsed (and warned about when malformed) and a `decide`
 * hook's own delay. Any other input (the error `Effect.retry` passes) is read as the failure itself:
 * a `ResponseError`'s `Retry-After` still sets the wait.
 *
 * @since 0.1.0
 */
export class RetryInput {
  constructor(
    readonly outcome: RetryOutcome,
    readonly retryAfterMs: number | undefined,
    readonly delay: Duration.Duration | undefined
  ) {}
}

/**
 * @since 0.1.0
 */
export interface ScheduleOptions {
  /** Epoch ms the budget counts from (the first attempt's start). Default: the first failure. */
  readonly startedAt?: number | undefined
  /** Replaces `totalBudget`, e.g. with the time left until an overall deadline (ms). */
  readonly budgetMs?: number | undefined
}

const stopped = ScheduleDecision.done

/** A `Retry-After` carried by a failure `Effect.retry` passes in (a `ResponseError`), in ms from `now`. */
const retryAfterOfError = (error: unknown, now: number): number | undefined => {
  const response = responseOf({ _tag: "Error", error })
  const header = response?.headers["retry-after"]
  return header === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(header, now, undefined, serverClockOf((name) => response?.headers[name])))
}

/**
 * The policy as a `Schedule`, the one retry mechanism: `Effect.retry(effect, RetryPolicy.schedule(policy))`
 * for any effect, and the HTTP retry driver steps the same schedule. At most `maxRetries`
 * recurrences; each waits a `decide` hook's delay, else the server's `Retry-After` (capped at
 * `maxRetryAfter`, when `respectRetryAfter`), else the backoff (exponential from `initialDelay` by
 * `multiplier`, capped at `maxDelay`, jittered with Effect's `Random`); a recurrence whose wait would
 * end more than `totalBudget` after the start is not made. Outputs a {@link RetryStep}. It retries
 * whatever it is given; add `Schedule.whileInput(isRetryableError(policy))` to retry only what the
 * policy would.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { RetryPolicy } from "effect-governor"
 * declare const callApi: Effect.Effect<string, Error>
 * const policy = yield* RetryPolicy.make({ maxRetries: 5 })
 * yield* Effect.retry(callApi, RetryPolicy.schedule(policy).pipe(
 *   Schedule.whileInput(RetryPolicy.isRetryableError(policy))
 * ))
 * ```
 *
 * @since 0.1.0
 */
export const schedule = (policy: RetryPolicy, options: ScheduleOptions = {}): Schedule.Schedule<RetryStep, unknown> => {
  const backoff = backoffOptions(policy)
  const budgetMs = options.budgetMs ?? Duration.toMillis(policy.totalBudget)
  const capMs = Duration.toMillis(policy.maxRetryAfter)
  return Schedule.makeWithState<readonly [number, number | undefined], unknown, RetryStep>(
    [0, options.startedAt],
    (now, input, [retries, start]) => {
      const t0 = start ?? now
      const state = [retries + 1, t0] as const
      const step = (delayMs: number, source: DelaySource, retryAfterMs?: number) => {
        const out: RetryStep = {
          attempt: retries + 1,
          delay: Duration.millis(delayMs),
          source,
          retryAfter: retryAfterMs === undefined ? undefined : Duration.millis(retryAfterMs)
        }
        const over = retries >= policy.maxRetries || now - t0 + delayMs > budgetMs
        return [state, out, over ? stopped : ScheduleDecision.continueWith(ScheduleInterval.after(now + delayMs))] as const
      }
      const told = input instanceof RetryInput ? input : undefined
      if (told?.delay !== undefined) return Effect.succeed(step(Duration.toMillis(told.delay), "Decide"))
      const serverMs = !policy.respectRetryAfter
        ? undefined
        : told !== undefined
        ? told.retryAfterMs
        : retryAfterOfError(input, now)
      if (serverMs !== undefined) return Effect.succeed(step(Math.min(serverMs, capMs), "RetryAfter", serverMs))
      return Effect.map(Random.next, (r) => step(backoffDelay(backoff, retries + 1, r), "Backoff"))
    }
  )
}
