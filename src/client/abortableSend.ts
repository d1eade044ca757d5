/**
 * How an attempt is cut short at its deadline.
 *
 * Racing the transport against a timer (`Effect.timeout`) forks fibers on every attempt, which costs
 * more than everything else the governor does per request. The platform's transports are cancelled
 * by the request's `AbortSignal` instead, and the platform lets the caller own that signal
 * (`HttpClient.withScope` registers a controller for the request in a process-wide map that
 * `HttpClient.make` consults). The client registers its own controller there directly (providing a
 * `Scope` per attempt would copy the fiber's refs twice), puts the deadline on the shared
 * `DeadlineTimer`, and at the deadline aborts the request. No fiber is started.
 *
 * That is only correct for a transport that listens to the signal, so a client starts in `"probe"`
 * mode: each attempt races a fiber (which interrupts any effect, a test double that never answers
 * included) and looks whether the transport added an abort listener to the signal it owns. Once one
 * has, the client switches to `"abort"`. Two more safety nets:
 * - at start-up, a probe checks that the installed `@effect/platform` hands a registered controller's
 *   signal to its transports; if not, the client races fibers for good (`"interrupt"`);
 * - a transport that listens but does not stop is detected when an aborted attempt has not ended
 *   `IGNORED_ABORT_GRACE_MS` later: the client reports it (`onIgnoredAbort`) and races fibers from
 *   then on.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Cause, Effect, Exit } from "effect"
import { globalValue } from "effect/GlobalValue"
import { type DeadlineEntry, type DeadlineTimerShape, raceDeadline } from "./DeadlineTimer.js"

/** How long an aborted attempt may take to end before the transport counts as ignoring aborts. */
export const IGNORED_ABORT_GRACE_MS = 1_000

/** The platform's map of caller-owned request controllers (see `HttpClient.withScope`). */
const ownedControllers = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

let platformHonoursOwnedSignals: boolean | undefined

/** Whether `HttpClient.make` passes a registered controller's signal to its transport (checked once). */
export const ownedSignalsSupported = (): boolean => {
  if (platformHonoursOwnedSignals === undefined) {
    const controller = new AbortController()
    const probe = HttpClientRequest.get("http://127.0.0.1/")
    let seen: AbortSignal | undefined
    const client = HttpClient.make((request, _url, signal) => {
      seen = signal
      return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(null, { status: 204 })))
    })
    ownedControllers.set(probe, controller)
    Effect.runSyncExit(client.execute(probe))
    ownedControllers.delete(probe)
    platformHonoursOwnedSignals = seen === controller.signal
  }
  return platformHonoursOwnedSignals
}

/**
 * @since 0.1.0
 */
export interface DeadlineSend {
  /**
   * Sends `request` with `execute` (the transport, or the client below the step); fails with
   * `onTimeout()` if no response has arrived when `timer` reaches `at`.
   */
  readonly send: <E, R, E2>(
    execute: Execute<E, R>,
    timer: DeadlineTimerShape,
    request: HttpClientRequest.HttpClientRequest,
    at: number,
    onTimeout: () => E2
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R>
  /** See the module's documentation. */
  readonly mode: () => DeadlineMode
}

/**
 * What sends one request (the transport, or the rest of the client below a step).
 *
 * @since 0.1.0
 */
export type Execute<E, R> = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>

/**
 * `"probe"`: racing fibers until the transport is seen listening to the request's signal; `"abort"`:
 * aborting the signal; `"interrupt"`: racing fibers for good.
 *
 * @since 0.1.0
 */
export type DeadlineMode = "probe" | "abort" | "interrupt"

const abortOnCollect = (controller: AbortController): void => controller.abort()

/**
 * A controller the client owns for `request`; `release` forgets it once the transport is done, so
 * the same request object sent later through another client does not inherit this signal.
 */
const own = (request: HttpClientRequest.HttpClientRequest) => {
  const controller = new AbortController()
  ownedControllers.set(request, controller)
  const release = () => {
    if (ownedControllers.get(request) === controller) ownedControllers.delete(request)
  }
  return { controller, release }
}

/**
 * @since 0.1.0
 */
export const make = (onIgnoredAbort: () => void): DeadlineSend => {
  let mode: DeadlineMode = ownedSignalsSupported() ? "probe" : "interrupt"
  // As the platform does for the controllers it owns: a response dropped unread frees its connection.
  const unread = new FinalizationRegistry<AbortController>(abortOnCollect)

  const abortable = <E, R, E2>(
    execute: Execute<E, R>,
    timer: DeadlineTimerShape,
    request: HttpClientRequest.HttpClientRequest,
    at: number,
    onTimeout: () => E2
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R> =>
    Effect.suspend(() => {
      const { controller, release } = own(request)
      let settled = false
      let timedOut = false
      let grace: DeadlineEntry | undefined
      const entry = timer.schedule(at, () => {
        timedOut = true
        controller.abort()
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
        release()
      }
      return Effect.uninterruptibleMask((restore) =>
        Effect.matchCauseEffect(restore(execute(request)), {
          onSuccess: (response): Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R> => {
            settle()
            if (timedOut) return Effect.fail(onTimeout())
            unread.register(response, controller)
            return Effect.succeed(response)
          },
          onFailure: (cause): Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R> => {
            settle()
            if (timedOut) return Effect.fail(onTimeout())
            // Interrupted by the caller: the platform leaves a caller-owned request to its owner.
            if (Cause.isInterrupted(cause)) controller.abort()
            return Effect.failCause(cause)
          }
        })
      )
    })

  /** Races a fiber, with a signal the client owns, and learns whether the transport listens to it. */
  const probing = <E, R, E2>(
    execute: Execute<E, R>,
    timer: DeadlineTimerShape,
    request: HttpClientRequest.HttpClientRequest,
    at: number,
    onTimeout: () => E2
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R> =>
    Effect.suspend(() => {
      const { controller, release } = own(request)
      // Watch this one signal for an abort listener (a transport that completes synchronously has
      // removed its listener again by the time anyone could look).
      let listened = false
      const signal = controller.signal
      const subscribe = signal.addEventListener
      signal.addEventListener = function(this: AbortSignal, ...args: Parameters<AbortSignal["addEventListener"]>) {
        if (args[0] === "abort") listened = true
        return subscribe.apply(this, args)
      } as AbortSignal["addEventListener"]
      return Effect.onExit(raceDeadline(timer, execute(request), at, onTimeout), (exit) =>
        Effect.sync(() => {
          if (listened && mode === "probe") mode = "abort"
          release()
          // The platform leaves a caller-owned request to its owner: abort what was cut or interrupted.
          if (Exit.isFailure(exit)) controller.abort()
          else unread.register(exit.value, controller)
        }))
    })

  return {
    send: (execute, timer, request, at, onTimeout) =>
      mode === "abort"
        ? abortable(execute, timer, request, at, onTimeout)
        : mode === "probe"
        ? probing(execute, timer, request, at, onTimeout)
        : raceDeadline(timer, execute(request), at, onTimeout),
    mode: () => mode
  }
}
