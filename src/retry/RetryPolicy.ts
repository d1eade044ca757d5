/**
 * Retry policies: which outcomes retry, how long to wait, and when to give up. A policy is plain
 * data (validated once by `make`); `schedule` turns it into an ordinary `Schedule` for
 * `Effect.retry`, and `retryRequest` (in `./retryRequest.ts`) runs HTTP attempts with it.
 *
 * @since 0.1.0
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import {
  Cause,
  Duration,
  Effect,
  Either,
  Option,
  Predicate,
  Random,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals
} from "effect"
import { dual } from "effect/Function"
import { isErrorStatus, MAX_REQUEST_WAIT, MAX_RETRIES } from "../internal/bounds.js"
import { decodeDuration } from "../internal/duration.js"
import { backoffDelay, type BackoffOptions, DEFAULT_JITTER_FRACTION, type Jitter, validateBackoff } from "./backoff.js"
import { InvalidRetryPolicy } from "./errors.js"

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
 * Methods that are not idempotent: never retried without an `Idempotency-Key` or an opt-in.
 *
 * @since 0.1.0
 */
export const NON_IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH", "CONNECT"])

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
 * Stops `self` once the next recurrence would start more than `budget` after its first step
 * (for `Effect.retry`: after the first failure). Unlike `Schedule.upTo`, which only looks at the
 * time already spent, this also counts the wait it is about to take.
 *
 * @since 0.1.0
 */
export const withBudget: {
  (budget: Duration.DurationInput): <Out, In, R>(self: Schedule.Schedule<Out, In, R>) => Schedule.Schedule<Out, In, R>
  <Out, In, R>(self: Schedule.Schedule<Out, In, R>, budget: Duration.DurationInput): Schedule.Schedule<Out, In, R>
} = dual(2, <Out, In, R>(self: Schedule.Schedule<Out, In, R>, budget: Duration.DurationInput) => {
  const limit = Duration.toMillis(Duration.decode(budget))
  return Schedule.makeWithState<readonly [number | undefined, unknown], In, Out, R>(
    [undefined, self.initial],
    (now, input, [start, inner]) =>
      Effect.map(self.step(now, input, inner), ([next, out, decision]) => {
        const t0 = start ?? now
        const over = ScheduleDecision.isContinue(decision) &&
          ScheduleIntervals.start(decision.intervals) - t0 > limit
        return [[t0, next] as const, out, over ? ScheduleDecision.done : decision] as const
      })
  )
})

/**
 * The policy's backoff as a `Schedule` for `Effect.retry` / `Effect.repeat`: exponential growth
 * from `initialDelay` by `multiplier`, capped at `maxDelay`, jittered as configured (draws from
 * Effect's `Random`), at most `maxRetries` recurrences, within `totalBudget`. Outputs the 0-based
 * recurrence number. It knows nothing of HTTP; add `Schedule.whileInput(isRetryableError(policy))`
 * to retry only what the policy would.
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
export const schedule = (policy: RetryPolicy): Schedule.Schedule<number, unknown> => {
  const options = backoffOptions(policy)
  return Schedule.forever.pipe(
    Schedule.modifyDelayEffect((n) => Effect.map(Random.next, (r) => Duration.millis(backoffDelay(options, n + 1, r)))),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.map(([n]) => n),
    withBudget(policy.totalBudget)
  )
}

/**
 * Whether a method is idempotent by its semantics (RFC 9110 §9.2.2): everything but POST, PATCH
 * and CONNECT.
 *
 * @since 0.1.0
 */
export const isIdempotentMethod = (method: string): boolean => !NON_IDEMPOTENT_METHODS.has(method.toUpperCase())

/**
 * A transient transport failure: connection refused/reset/closed (`RequestError` with reason
 * `Transport`), Effect's `TimeoutException`, or an `AttemptTimeout` from the bulkhead module.
 *
 * @since 0.1.0
 */
export const isTransportError = (error: unknown): boolean =>
  (HttpClientError.isHttpClientError(error) && error._tag === "RequestError" && error.reason === "Transport") ||
  Cause.isTimeoutException(error) ||
  Predicate.isTagged(error, "AttemptTimeout")

/**
 * The response carried by an outcome: the response itself, or the one inside a `ResponseError`
 * (e.g. from `HttpClient.filterStatusOk`).
 *
 * @since 0.1.0
 */
export const responseOf = (outcome: RetryOutcome): HttpClientResponse | undefined => {
  if (outcome._tag === "Response") return outcome.response
  const e = outcome.error
  return HttpClientError.isHttpClientError(e) && e._tag === "ResponseError" && e.reason === "StatusCode"
    ? e.response
    : undefined
}

/**
 * The policy's own rule (without the decision hook and idempotency check): a status in
 * `retryOnStatus`, or a transport error when `retryOnTransport`.
 *
 * @since 0.1.0
 */
export const isRetryableOutcome = dual<
  (outcome: RetryOutcome) => (policy: RetryPolicy) => boolean,
  (policy: RetryPolicy, outcome: RetryOutcome) => boolean
>(2, (policy, outcome) => {
  const response = responseOf(outcome)
  if (response !== undefined) return policy.retryOnStatus.has(response.status)
  return outcome._tag === "Error" && policy.retryOnTransport && isTransportError(outcome.error)
})

/**
 * A predicate over errors for `Schedule.whileInput` / `Effect.retry({ while })`: transport errors
 * and `ResponseError`s whose status the policy retries.
 *
 * @since 0.1.0
 */
export const isRetryableError = (policy: RetryPolicy) => (error: unknown): boolean =>
  isRetryableOutcome(policy, { _tag: "Error", error })
