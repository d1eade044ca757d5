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
import { isErrorStatus, MAX_REQUEST_WAIT, MAX_RETRIES } from "../internal/bounds.js"
import { decodeDuration } from "../internal/duration.js"
import { backoffDelay, type BackoffOptions, DEFAULT_JITTER_FRACTION, type Jitter, validateBackoff } from "./backoff.js"
import { responseOf } from "./classify.js"
import { InvalidRetryPolicy } from "./errors.js"
import { parseRetryAfter } from "./retryAfter.js"

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
  initialDelay: Duration.millis(250),
  maxDelay: Duration.seconds(30),
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

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0

/** A duration option: `>= 0` in every form (no silent zero for `-1` or `"-5 seconds"`), at most `MAX_REQUEST_WAIT`. */
const duration = (
  field: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<Duration.Duration, InvalidRetryPolicy> => {
  if (input === undefined) return Either.right(fallback)
  return Option.match(decodeDuration(input), {
    onNone: () => Either.left(new InvalidRetryPolicy({ field, reason: `expected a duration >= 0, got ${JSON.stringify(String(input))}` })),
    onSome: (d) =>
      Duration.lessThanOrEqualTo(d, MAX_REQUEST_WAIT)
        ? Either.right(d)
        : Either.left(
          new InvalidRetryPolicy({
            field,
            reason: `expected at most ${Duration.format(MAX_REQUEST_WAIT)}, got ${Duration.format(d)}`
          })
        )
  })
}

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
  Either.gen(function*() {
    const fail = (field: string, reason: string) => Either.left(new InvalidRetryPolicy({ field, reason }))
    let maxRetries = defaults.maxRetries
    if (options.maxRetries !== undefined) {
      if (!isCount(options.maxRetries) || options.maxRetries > MAX_RETRIES) {
        return yield* fail("maxRetries", `expected an integer from 0 to ${MAX_RETRIES}, got ${String(options.maxRetries)}`)
      }
      maxRetries = options.maxRetries
    }
    if (options.maxAttempts !== undefined) {
      if (!isCount(options.maxAttempts) || options.maxAttempts < 1 || options.maxAttempts > MAX_RETRIES + 1) {
        return yield* fail("maxAttempts", `expected an integer from 1 to ${MAX_RETRIES + 1}, got ${String(options.maxAttempts)}`)
      }
      if (options.maxRetries !== undefined && options.maxRetries !== options.maxAttempts - 1) {
        return yield* fail(
          "maxAttempts",
          `maxAttempts (${options.maxAttempts}) counts the first attempt and must equal maxRetries + 1 (${
            options.maxRetries + 1
          }); give only one of them`
        )
      }
      maxRetries = options.maxAttempts - 1
    }
    const initialDelay = yield* duration("initialDelay", options.initialDelay, defaults.initialDelay)
    const maxDelay = yield* duration("maxDelay", options.maxDelay, defaults.maxDelay)
    const totalBudget = yield* duration("totalBudget", options.totalBudget, defaults.totalBudget)
    const maxRetryAfter = yield* duration("maxRetryAfter", options.maxRetryAfter, defaults.maxRetryAfter)
    const multiplier = options.multiplier ?? defaults.multiplier
    const jitter = options.jitter ?? defaults.jitter
    const jitterFraction = options.jitterFraction ?? defaults.jitterFraction
    const invalid = validateBackoff({
      initial: Duration.toMillis(initialDelay),
      max: Duration.toMillis(maxDelay),
      multiplier,
      jitter,
      jitterFraction
    })
    if (invalid !== undefined) return yield* fail(invalid.field, invalid.reason)
    const statuses = options.retryOnStatus === undefined ? defaults.retryOnStatus : new Set(options.retryOnStatus)
    for (const s of statuses) {
      if (!isErrorStatus(s)) {
        return yield* fail("retryOnStatus", `expected HTTP error status codes (400-599), got ${String(s)}`)
      }
    }
    const bools = ["retryOnTransport", "respectRetryAfter", "retryNonIdempotent"] as const
    for (const field of bools) {
      const v = options[field]
      if (v !== undefined && typeof v !== "boolean") return yield* fail(field, `expected a boolean, got ${String(v)}`)
    }
    const idempotencyKey = options.idempotencyKey ?? defaults.idempotencyKey
    if (idempotencyKey !== "none" && idempotencyKey !== "generate") {
      return yield* fail("idempotencyKey", `expected "none" | "generate", got ${JSON.stringify(idempotencyKey)}`)
    }
    if (options.decide !== undefined && typeof options.decide !== "function") {
      return yield* fail("decide", "expected a function")
    }
    return {
      maxRetries,
      initialDelay,
      maxDelay,
      multiplier,
      jitter,
      jitterFraction,
      totalBudget,
      retryOnStatus: statuses,
      retryOnTransport: options.retryOnTransport ?? defaults.retryOnTransport,
      respectRetryAfter: options.respectRetryAfter ?? defaults.respectRetryAfter,
      maxRetryAfter,
      retryNonIdempotent: options.retryNonIdempotent ?? defaults.retryNonIdempotent,
      idempotencyKey,
      decide: options.decide
    } satisfies RetryPolicy
  })

/**
 * The backoff parameters of a policy, in milliseconds, for `backoffDelay`.
 *
 * @since 0.1.0
 */
export const backoffOptions = (policy: RetryPolicy): BackoffOptions => ({
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
  return header === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(header, now))
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
