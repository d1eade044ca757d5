/**
 * How an attempt is cut short at its deadline.
 *
 * Racing the transport against a timer (`Effect.timeout`) forks fibers on every attempt, which costs
 * more than everything else the governor does per request. The platform's transports are cancelled
 * by the request's `AbortSignal`, and `HttpClient.withScope` lets the caller own that signal: the
 * client gives each attempt a scope, registers its deadline on the shared `DeadlineTimer`, and at the
 * deadline closes the scope, which aborts the request. No fiber is started.
 *
 * A transport that ignores the signal (a hand-written test double, say) would leave such an
 * attempt running past its deadline. When an aborted attempt has not ended `IGNORED_ABORT_GRACE_MS`
 * later, the client reports it (`onIgnoredAbort`) and switches to racing fibers for later attempts,
 * which interrupts any effect.
 *
 * @since 0.1.0
 */
import { HttpClient, type HttpClientError, type HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Cause, Effect, Exit, Scope } from "effect"
import { type DeadlineEntry, type DeadlineTimer, raceDeadline } from "../bulkhead/DeadlineTimer.js"

/** How long an aborted attempt may take to end before the transport counts as ignoring aborts. */
export const IGNORED_ABORT_GRACE_MS = 1_000

/**
 * @since 0.1.0
 */
export interface DeadlineSend {
  /** Sends `request`; fails with `onTimeout()` if no response has arrived when the timer reaches `at`. */
  readonly send: <E2>(
    request: HttpClientRequest.HttpClientRequest,
    at: number,
    onTimeout: () => E2
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | E2>
  /** `"abort"` until a transport is seen ignoring an abort, then `"interrupt"`. */
  readonly mode: () => "abort" | "interrupt"
}

const closeNow = (scope: Scope.CloseableScope): void => {
  Effect.runSync(Scope.close(scope, Exit.void))
}

/**
 * @since 0.1.0
 */
export const make = (
  transport: HttpClient.HttpClient,
  timer: DeadlineTimer,
  onIgnoredAbort: () => void
): DeadlineSend => {
  const scoped = HttpClient.withScope(transport)
  let mode: "abort" | "interrupt" = "abort"
  // As the platform does for its own controllers: a response dropped unread frees its connection.
  const unread = new FinalizationRegistry<Scope.CloseableScope>(closeNow)

  const abortable = <E2>(
    request: HttpClientRequest.HttpClientRequest,
    at: number,
    onTimeout: () => E2
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | E2> =>
    Effect.flatMap(Scope.make(), (scope) => {
      let settled = false
      let timedOut = false
      let grace: DeadlineEntry | undefined
      const entry = timer.schedule(at, () => {
        timedOut = true
        closeNow(scope)
        grace = timer.schedule(at + IGNORED_ABORT_GRACE_MS, () => {
          if (settled || mode === "interrupt") return
          mode = "interrupt"
          onIgnoredAbort()
        })
      })
      const settle = () => {
        settled = true
        timer.cancel(entry)
        if (grace !== undefined) timer.cancel(grace)
      }
      return Effect.uninterruptibleMask((restore) =>
        Effect.matchCauseEffect(restore(Effect.provideService(scoped.execute(request), Scope.Scope, scope)), {
          onSuccess: (response): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | E2> => {
            settle()
            if (timedOut) return Effect.fail(onTimeout())
            unread.register(response, scope)
            return Effect.succeed(response)
          },
          onFailure: (cause): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | E2> => {
            settle()
            if (timedOut) return Effect.fail(onTimeout())
            // Interrupted by the caller: a scoped request is not aborted by the platform itself.
            if (Cause.isInterrupted(cause)) closeNow(scope)
            return Effect.failCause(cause)
          }
        })
      )
    })

  return {
    send: (request, at, onTimeout) =>
      mode === "abort" ? abortable(request, at, onTimeout) : raceDeadline(timer, transport.execute(request), at, onTimeout),
    mode: () => mode
  }
}
