/**
 * Runs the attempts of one HTTP request under a `RetryPolicy`: classifies each outcome, guards
 * non-idempotent methods, and steps the policy's `Schedule` (`RetryPolicy.schedule`) for how long
 * to wait and when to give up, honouring `Retry-After`; waits on `Clock` and reports what it did.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import { Cause, Clock, Duration, Effect, Exit, Option, ScheduleDecision, ScheduleIntervals } from "effect"
import { randomUUID } from "node:crypto"
import { RetriesExhausted } from "./errors.js"
import { parseRetryAfter, serverClockOf } from "./retryAfter.js"
import { reportedUrl } from "./reportedUrl.js"
import {
  type DelaySource,
  isIdempotentMethod,
  isRetryableOutcome,
  responseOf,
  RetryInput,
  type RetryOutcome,
  type RetryPolicy,
  schedule
} from "./RetryPolicy.js"

export type { DelaySource } from "./RetryPolicy.js"

/**
 * Emitted before each retry's wait.
 *
 * @since 0.1.0
 */
export interface RetryEvent {
  /** The 1-based attempt that just failed; the retry will be attempt `attempt + 1`. */
  readonly attempt: number
  readonly delay: Duration.Duration
  readonly source: DelaySource
  /** Status of the failed attempt, when it produced a response. */
  readonly status: number | undefined
  /** The server's `Retry-After` (before capping), when it sent a valid one. */
  readonly retryAfter: Duration.Duration | undefined
}

/**
 * What one `retryRequest` call did, whatever its result.
 *
 * @since 0.1.0
 */
export interface RetrySummary {
  /** Attempts made, the first included. */
  readonly attempts: number
  /** `attempts - 1`. */
  readonly retries: number
  readonly delays: ReadonlyArray<Duration.Duration>
  readonly lastStatus: number | undefined
  readonly retryAfter: Duration.Duration | undefined
  /** `true` when it ended in `RetriesExhausted`. */
  readonly exhausted: boolean
}

/**
 * Callbacks for statistics (the client's retry counters, delays of the last request).
 *
 * @since 0.1.0
 */
export interface RetryHooks {
  readonly onRetry?: ((event: RetryEvent) => Effect.Effect<void>) | undefined
  /** Runs once per call, on success and on failure (not on interruption). */
  readonly onDone?: ((summary: RetrySummary) => Effect.Effect<void>) | undefined
}

/**
 * The header carrying an idempotency key (draft-ietf-httpapi-idempotency-key-header).
 *
 * @since 0.1.0
 */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key"

/**
 * The request as the attempts will send it: with a generated `Idempotency-Key` when the policy
 * says `"generate"` and the method is not idempotent and no key is present.
 *
 * @since 0.1.0
 */
export const prepareRequest = (
  policy: RetryPolicy,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientRequest.HttpClientRequest> =>
  needsGeneratedKey(policy, request) ? Effect.sync(() => withGeneratedKey(request)) : Effect.succeed(request)

/**
 * Whether the policy allows retrying this request at all: idempotent methods always; POST/PATCH
 * only with an `Idempotency-Key` header or `retryNonIdempotent`.
 *
 * @since 0.1.0
 */
export const mayRetry = (policy: RetryPolicy, request: HttpClientRequest.HttpClientRequest): boolean =>
  policy.retryNonIdempotent || isIdempotentMethod(request.method) ||
  Option.isSome(Headers.get(request.headers, IDEMPOTENCY_KEY_HEADER))

const needsGeneratedKey = (policy: RetryPolicy, request: HttpClientRequest.HttpClientRequest): boolean =>
  policy.idempotencyKey === "generate" && !isIdempotentMethod(request.method) &&
  Option.isNone(Headers.get(request.headers, IDEMPOTENCY_KEY_HEADER))

const withGeneratedKey = (request: HttpClientRequest.HttpClientRequest) =>
  HttpClientRequest.setHeader(request, "Idempotency-Key", randomUUID())

/**
 * Runs `attempt` until it yields a non-retryable outcome or the policy gives up.
 *
 * - A non-retryable response is returned as it is (success channel), whatever its status; other
 *   4xx never retry. A non-retryable error fails as it is.
 * - A retryable outcome (status in `retryOnStatus`, transport error/timeout) is retried after the
 *   wait the policy's schedule gives: `Retry-After` (capped at `maxRetryAfter`) when the server sent
 *   a valid one, else the jittered backoff. A malformed or absurd `Retry-After` is logged
 *   (`Effect.logWarning`) and the backoff is used.
 * - POST/PATCH/CONNECT are never retried unless the request carries `Idempotency-Key`, the policy
 *   generates one (the same key on every attempt), or `retryNonIdempotent` is set.
 * - `decide` may force `Retry` (optionally with its own delay) or `Stop` before the defaults apply;
 *   it is not consulted for requests that may not be retried.
 * - When `maxRetries` are spent, or the next wait would overrun `totalBudget`, fails with
 *   `RetriesExhausted` carrying attempts, last status, delays and `Retry-After`.
 *
 * Bodies of responses that are retried are drained so the connection can be reused.
 * Interruptions and defects of an attempt propagate at once.
 *
 * @example
 * ```ts
 * import { type HttpClient, HttpClientRequest } from "@effect/platform"
 * import { RetryPolicy } from "effect-governor"
 * declare const client: HttpClient.HttpClient
 * declare const url: string
 * const policy = yield* RetryPolicy.make({ maxRetries: 2 })
 * const response = yield* RetryPolicy.retryRequest(policy, HttpClientRequest.get(url), (req) => client.execute(req))
 * ```
 *
 * @since 0.1.0
 */
export const retryRequest = <E, R>(
  policy: RetryPolicy,
  request: HttpClientRequest.HttpClientRequest,
  attempt: (request: HttpClientRequest.HttpClientRequest, attemptNumber: number) => Effect.Effect<
    HttpClientResponse,
    E,
    R
  >,
  hooks: RetryHooks = {}
): Effect.Effect<HttpClientResponse, E | RetriesExhausted<E>, R> =>
  Effect.clockWith((clock) =>
    runRetries(policy, request, (req, track) => attempt(req, track.attempt), { attempt: 1, delays: [] }, {
      startedAt: clock.unsafeCurrentTimeMillis(),
      hooks
    })
  )

/**
 * Where the driver reports the attempt it is on and, at the end, the waits it took (the client's
 * per-request state is one).
 *
 * @since 0.1.0
 * @internal
 */
export interface RetryTrack {
  attempt: number
  delays: ReadonlyArray<Duration.Duration>
}

/**
 * @since 0.1.0
 * @internal
 */
export interface RunOptions<E2> {
  /** Epoch ms of the first attempt: the budget counts from it. */
  readonly startedAt: number
  readonly hooks?: RetryHooks | undefined
  /** An overall deadline (epoch ms): retries stop at it, failing with `error()` when it binds before the budget. */
  readonly deadlineAt?: number | undefined
  readonly deadlineError?: (() => E2) | undefined
}

/**
 * `retryRequest` without its allocations on the way in: `send(request, track)` runs attempt
 * `track.attempt`. The first attempt's outcome needs no classification when it is a response below
 * 400 that no retry status or custom hook can claim; that is most requests, and they never build
 * the schedule.
 *
 * @since 0.1.0
 * @internal
 */
export const runRetries = <T extends RetryTrack, E, R, E2 = never>(
  policy: RetryPolicy,
  request: HttpClientRequest.HttpClientRequest,
  send: (request: HttpClientRequest.HttpClientRequest, track: T) => Effect.Effect<HttpClientResponse, E, R>,
  track: T,
  options: RunOptions<E2>
): Effect.Effect<HttpClientResponse, E | RetriesExhausted<E> | E2, R> => {
  const req = needsGeneratedKey(policy, request) ? withGeneratedKey(request) : request
  track.attempt = 1
  return Effect.matchCauseEffect(send(req, track), {
    onFailure: (cause) => retryLoop(policy, req, send, track, options, Exit.failCause(cause)),
    onSuccess: (response) => {
      if (response.status >= 400 || policy.decide !== undefined || policy.retryOnStatus.has(response.status)) {
        return retryLoop(policy, req, send, track, options, Exit.succeed(response))
      }
      const done = Effect.succeed(response)
      const onDone = options.hooks?.onDone
      return onDone === undefined ? done : Effect.zipRight(
        onDone({ attempts: 1, retries: 0, delays: [], lastStatus: response.status, retryAfter: undefined, exhausted: false }),
        done
      )
    }
  })
}

const MAX_LOGGED_HEADER = 64

/** The server's `Retry-After` on an outcome, in ms (a malformed one is logged when it would have counted). */
const serverDelay = (
  policy: RetryPolicy,
  req: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse | undefined,
  sentAt: number
): Effect.Effect<number | undefined> => {
  // Only error responses (or anything a custom hook may retry) can make Retry-After matter.
  if (response === undefined || (response.status < 400 && policy.decide === undefined)) return Effect.succeed(undefined)
  const header = response.headers["retry-after"]
  if (header === undefined) return Effect.succeed(undefined)
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    // The attempt's round trip bounds how long ago the server stamped its Date (`ServerClock`).
    const parsed = parseRetryAfter(header, now, undefined, serverClockOf((name) => response.headers[name], now - sentAt))
    if (Option.isSome(parsed)) return Effect.succeed(parsed.value)
    if (!policy.respectRetryAfter) return Effect.succeed(undefined)
    return Effect.as(
      Effect.flatMap(reportedUrl(req.url), (url) =>
        Effect.logWarning("Ignoring malformed or absurd Retry-After header; using backoff").pipe(
          Effect.annotateLogs({ retryAfter: header.slice(0, MAX_LOGGED_HEADER), method: req.method, url })
        )),
      undefined
    )
  })
}

/** Classifies `first` and goes on with attempts 2, 3, … as the policy and its schedule say. */
const retryLoop = <T extends RetryTrack, E, R, E2>(
  policy: RetryPolicy,
  req: HttpClientRequest.HttpClientRequest,
  send: (request: HttpClientRequest.HttpClientRequest, track: T) => Effect.Effect<HttpClientResponse, E, R>,
  track: T,
  options: RunOptions<E2>,
  first: Exit.Exit<HttpClientResponse, E>
): Effect.Effect<HttpClientResponse, E | RetriesExhausted<E> | E2, R> =>
  Effect.gen(function*() {
    const retryAllowed = mayRetry(policy, req)
    const budgetMs = Duration.toMillis(policy.totalBudget)
    const deadlineBinds = options.deadlineAt !== undefined && options.deadlineAt - options.startedAt <= budgetMs
    const steps = schedule(policy, {
      startedAt: options.startedAt,
      budgetMs: deadlineBinds ? options.deadlineAt! - options.startedAt : budgetMs
    })
    let state = steps.initial
    const delays: Array<Duration.Duration> = []
    let retryAfter: Duration.Duration | undefined
    let lastStatus: number | undefined

    const finish = <A, E3>(exit: Exit.Exit<A, E3>, attempts: number, exhausted: boolean) => {
      track.delays = delays
      const onDone = options.hooks?.onDone
      return onDone === undefined ? exit : Effect.zipRight(
        onDone({ attempts, retries: attempts - 1, delays: delays.slice(), lastStatus, retryAfter, exhausted }),
        exit
      )
    }

    for (let n = 1;; n++) {
      track.attempt = n
      // The first attempt went out at the start (or just after: a round trip read longer, a wider allowance).
      const sentAt = n === 1 ? options.startedAt : yield* Clock.currentTimeMillis
      const exit = n === 1 ? first : yield* Effect.exit(send(req, track))
      // Interrupted or died: not an outcome to classify.
      if (Exit.isFailure(exit) && Option.isNone(Cause.failureOption(exit.cause))) return yield* exit
      const outcome: RetryOutcome = Exit.isSuccess(exit)
        ? { _tag: "Response", response: exit.value }
        : { _tag: "Error", error: Option.getOrThrow(Cause.failureOption(exit.cause)) }
      const response = responseOf(outcome)
      lastStatus = response?.status
      // Kept for the error even when not retrying.
      const serverMs = yield* serverDelay(policy, req, response, sentAt)
      if (serverMs !== undefined) retryAfter = Duration.millis(serverMs)

      if (!retryAllowed) return yield* finish(exit, n, false)
      const decision = policy.decide?.(outcome, n) ?? { _tag: "Default" as const }
      if (decision._tag === "Stop") return yield* finish(exit, n, false)
      if (decision._tag === "Default" && !isRetryableOutcome(policy, outcome)) return yield* finish(exit, n, false)

      const now = yield* Clock.currentTimeMillis
      const input = new RetryInput(outcome, serverMs, decision._tag === "Retry" ? decision.delay : undefined)
      const [next, step, verdict] = yield* steps.step(now, input, state)
      if (ScheduleDecision.isDone(verdict)) {
        if (n <= policy.maxRetries && deadlineBinds && options.deadlineError !== undefined) {
          return yield* finish(Exit.fail(options.deadlineError()), n, true)
        }
        const url = yield* reportedUrl(req.url)
        return yield* finish(
          Exit.fail(
            new RetriesExhausted<E>({
              reason: n > policy.maxRetries ? "MaxRetries" : "Budget",
              attempts: n,
              lastStatus,
              delays: delays.slice(),
              retryAfter,
              method: req.method,
              url,
              lastResponse: outcome._tag === "Response" ? outcome.response : undefined,
              lastError: outcome._tag === "Error" ? (outcome.error as E) : undefined
            })
          ),
          n,
          true
        )
      }
      state = next
      // Free the connection: nobody will read this body.
      if (outcome._tag === "Response") yield* Effect.ignore(outcome.response.arrayBuffer)
      const delay = Duration.millis(Math.max(0, ScheduleIntervals.start(verdict.intervals) - now))
      const onRetry = options.hooks?.onRetry
      if (onRetry !== undefined) {
        yield* onRetry({ attempt: n, delay, source: step.source, status: lastStatus, retryAfter: step.retryAfter })
      }
      delays.push(delay)
      yield* Effect.sleep(delay)
    }
  })
