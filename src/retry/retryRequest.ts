/**
 * Runs the attempts of one HTTP request under a `RetryPolicy`: classifies each outcome, honours
 * `Retry-After`, guards non-idempotent methods, waits on `Clock` and reports what it did.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import { Cause, Clock, Duration, Effect, Exit, Option, Random } from "effect"
import { randomUUID } from "node:crypto"
import { backoffDelay } from "./backoff.js"
import { RetriesExhausted, safeUrl } from "./errors.js"
import { parseRetryAfter } from "./retryAfter.js"
import {
  backoffOptions,
  isIdempotentMethod,
  isRetryableOutcome,
  responseOf,
  type RetryOutcome,
  type RetryPolicy
} from "./RetryPolicy.js"

/**
 * Where the wait before a retry came from.
 *
 * @since 0.1.0
 */
export type DelaySource = "RetryAfter" | "Backoff" | "Decide"

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
  needsGeneratedKey(policy, request)
    ? Effect.sync(() => HttpClientRequest.setHeader(request, "Idempotency-Key", randomUUID()))
    : Effect.succeed(request)

/**
 * Whether the policy allows retrying this request at all: idempotent methods always; POST/PATCH
 * only with an `Idempotency-Key` header or `retryNonIdempotent`.
 *
 * @since 0.1.0
 */
export const mayRetry = (policy: RetryPolicy, request: HttpClientRequest.HttpClientRequest): boolean =>
  policy.retryNonIdempotent || isIdempotentMethod(request.method) ||
  Option.isSome(Headers.get(request.headers, IDEMPOTENCY_KEY_HEADER))

const MAX_LOGGED_HEADER = 64

/**
 * Runs `attempt` until it yields a non-retryable outcome or the policy gives up.
 *
 * - A non-retryable response is returned as it is (success channel), whatever its status; other
 *   4xx never retry. A non-retryable error fails as it is.
 * - A retryable outcome (status in `retryOnStatus`, transport error/timeout) is retried after
 *   `Retry-After` (capped at `maxRetryAfter`) when the server sent a valid one, else after the
 *   jittered backoff. A malformed or absurd `Retry-After` is logged (`Effect.logWarning`) and the
 *   backoff is used.
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
  Effect.clockWith((clock) => {
    const startedAt = clock.unsafeCurrentTimeMillis()
    const req = needsGeneratedKey(policy, request)
      ? HttpClientRequest.setHeader(request, "Idempotency-Key", randomUUID())
      : request
    // Fast path: the first attempt's outcome needs no classification when it is a response below
    // 400 that no retry status or custom hook can claim; that is most requests.
    return Effect.matchCauseEffect(attempt(req, 1), {
      onFailure: (cause) => retryLoop(policy, req, attempt, hooks, startedAt, Exit.failCause(cause)),
      onSuccess: (response) => {
        if (response.status >= 400 || policy.decide !== undefined || policy.retryOnStatus.has(response.status)) {
          return retryLoop(policy, req, attempt, hooks, startedAt, Exit.succeed(response))
        }
        const done = Effect.succeed(response)
        return hooks.onDone === undefined ? done : Effect.zipRight(
          hooks.onDone({
            attempts: 1,
            retries: 0,
            delays: [],
            lastStatus: response.status,
            retryAfter: undefined,
            exhausted: false
          }),
          done
        )
      }
    })
  })

const needsGeneratedKey = (policy: RetryPolicy, request: HttpClientRequest.HttpClientRequest): boolean =>
  policy.idempotencyKey === "generate" && !isIdempotentMethod(request.method) &&
  Option.isNone(Headers.get(request.headers, IDEMPOTENCY_KEY_HEADER))

/** Classifies `first` and goes on with attempts 2, 3, … as the policy says. */
const retryLoop = <E, R>(
  policy: RetryPolicy,
  req: HttpClientRequest.HttpClientRequest,
  attempt: (request: HttpClientRequest.HttpClientRequest, attemptNumber: number) => Effect.Effect<
    HttpClientResponse,
    E,
    R
  >,
  hooks: RetryHooks,
  startedAt: number,
  first: Exit.Exit<HttpClientResponse, E>
): Effect.Effect<HttpClientResponse, E | RetriesExhausted<E>, R> =>
  Effect.gen(function*() {
    const retryAllowed = mayRetry(policy, req)
    const backoff = backoffOptions(policy)
    const budgetMs = Duration.toMillis(policy.totalBudget)
    const capMs = Duration.toMillis(policy.maxRetryAfter)
    const delays: Array<Duration.Duration> = []
    let retryAfter: Duration.Duration | undefined
    let lastStatus: number | undefined

    const finish = <A, E2>(exit: Exit.Exit<A, E2>, attempts: number, exhausted: boolean) =>
      Effect.zipRight(
        hooks.onDone === undefined ? Effect.void : hooks.onDone({
          attempts,
          retries: attempts - 1,
          delays: delays.slice(),
          lastStatus,
          retryAfter,
          exhausted
        }),
        exit
      )

    for (let n = 1;; n++) {
      const exit = n === 1 ? first : yield* Effect.exit(attempt(req, n))
      if (Exit.isFailure(exit) && Option.isNone(Cause.failureOption(exit.cause))) {
        // Interrupted or died: not an outcome to classify.
        return yield* exit
      }
      const outcome: RetryOutcome = Exit.isSuccess(exit)
        ? { _tag: "Response", response: exit.value }
        : { _tag: "Error", error: Option.getOrThrow(Cause.failureOption(exit.cause)) }
      const response = responseOf(outcome)
      lastStatus = response?.status

      // Retry-After of this outcome, if any (kept for the error even when not retrying).
      let serverDelayMs: number | undefined
      // Only error responses (or anything a custom hook may retry) can make Retry-After matter.
      const header = response === undefined || (response.status < 400 && policy.decide === undefined)
        ? Option.none()
        : Headers.get(response.headers, "retry-after")
      if (Option.isSome(header)) {
        const now = yield* Clock.currentTimeMillis
        const parsed = parseRetryAfter(header.value, now)
        if (Option.isSome(parsed)) {
          serverDelayMs = parsed.value
          retryAfter = Duration.millis(parsed.value)
        } else if (policy.respectRetryAfter) {
          yield* Effect.logWarning("Ignoring malformed or absurd Retry-After header; using backoff").pipe(
            Effect.annotateLogs({
              retryAfter: header.value.slice(0, MAX_LOGGED_HEADER),
              method: req.method,
              url: safeUrl(req.url)
            })
          )
        }
      }

      if (!retryAllowed) return yield* finish(exit, n, false)
      const decision = policy.decide?.(outcome, n) ?? { _tag: "Default" as const }
      if (decision._tag === "Stop") return yield* finish(exit, n, false)
      if (decision._tag === "Default" && !isRetryableOutcome(policy, outcome)) return yield* finish(exit, n, false)

      let delayMs: number
      let source: DelaySource
      if (decision._tag === "Retry" && decision.delay !== undefined) {
        delayMs = Duration.toMillis(decision.delay)
        source = "Decide"
      } else if (policy.respectRetryAfter && serverDelayMs !== undefined) {
        delayMs = Math.min(serverDelayMs, capMs)
        source = "RetryAfter"
      } else {
        delayMs = backoffDelay(backoff, n, yield* Random.next)
        source = "Backoff"
      }

      const exhausted = (reason: "MaxRetries" | "Budget") =>
        finish(
          Exit.fail(
            new RetriesExhausted<E>({
              reason,
              attempts: n,
              lastStatus,
              delays: delays.slice(),
              retryAfter,
              method: req.method,
              url: safeUrl(req.url),
              lastResponse: outcome._tag === "Response" ? outcome.response : undefined,
              lastError: outcome._tag === "Error" ? (outcome.error as E) : undefined
            })
          ),
          n,
          true
        )
      if (n > policy.maxRetries) return yield* exhausted("MaxRetries")
      const now = yield* Clock.currentTimeMillis
      if (now - startedAt + delayMs > budgetMs) return yield* exhausted("Budget")

      if (outcome._tag === "Response") {
        // Free the connection: nobody will read this body.
        yield* Effect.ignore(outcome.response.arrayBuffer)
      }
      const delay = Duration.millis(delayMs)
      if (hooks.onRetry !== undefined) {
        yield* hooks.onRetry({ attempt: n, delay, source, status: lastStatus, retryAfter: source === "RetryAfter" ? retryAfter : undefined })
      }
      delays.push(delay)
      yield* Effect.sleep(delay)
    }
  })
