/**
 * Step: one line before each attempt (`Debug`) and one after (`Info`, `Warning` for 5xx and errors),
 * redacted with the API's rules, carrying what the other steps decided (attempt, cache reason,
 * limiter wait, breaker state); and, when a tracer is installed, the attempt's client span. A line
 * below the effective level is never built: this is on every request's path.
 *
 * @since 0.1.0
 */
import type { HttpBody, HttpClientRequest } from "@effect/platform"
import { Cause, Duration, Effect, Exit, LogLevel } from "effect"
import * as RequestLog from "../logging/RequestLog.js"
import * as Tracing from "../metrics/Tracing.js"
import * as Exchange from "./exchange.js"
import type { Observer } from "./Observer.js"
import { type Step, stepWith } from "./step.js"

/**
 * A request body as the request line logs it (redacted there, only when `logging.bodies` is on): text
 * and JSON bytes decoded, anything else (binary, form data, streams) left to its size or left out.
 */
const loggableBody = (body: HttpBody.HttpBody): unknown => {
  if (body._tag === "Raw") return typeof body.body === "string" ? body.body : undefined
  if (body._tag !== "Uint8Array") return undefined
  return /json|text|x-www-form-urlencoded/i.test(body.contentType) ? new TextDecoder().decode(body.body) : body.body
}

const info = (exchange: Exchange.Exchange, api: string, request: HttpClientRequest.HttpClientRequest) => ({
  api,
  method: request.method,
  url: request.url,
  attempt: exchange.attempt,
  cache: exchange.cache,
  limiterWait: exchange.limiterWait,
  breaker: exchange.breaker
})

/** `effect`, after `line` when there is one. */
const after = <A, E>(line: Effect.Effect<void> | undefined, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  line === undefined ? effect : Effect.zipRight(line, effect)

/**
 * @since 0.1.0
 * @category combinators
 */
export const withRequestLog = (observer: Observer) => stepWith(requestLogStep(observer), undefined)

/**
 * @since 0.1.0
 * @internal
 */
export const requestLogStep = (observer: Observer): Step<void, never> => {
  const { api, redaction, writeLine } = observer
  return (_, send, request) =>
    Exchange.within(request, (exchange) => {
      const sendAndLog = () => {
        const sentAt = exchange.clock.unsafeCurrentTimeMillis()
        const duration = () => Duration.millis(exchange.clock.unsafeCurrentTimeMillis() - sentAt)
        const sent = exchange.tracing
          ? send(request).pipe(
            // The span records the attempt's exit: redacted like the errors the caller gets.
            Effect.mapError(observer.outgoing.error),
            Effect.tap((response) => Tracing.annotateResponse(response.status)),
            Tracing.withAttemptSpan({ api, method: request.method, url: request.url, redactor: redaction.redactor }, exchange.attempt)
          )
          : send(request)
        return Effect.matchCauseEffect(sent, {
          onFailure: (cause) => {
            const exit = Exit.failCause(cause)
            return after(
              writeLine(exchange.minLevel, LogLevel.Warning, () =>
                RequestLog.logResponse({ ...info(exchange, api, request), duration: duration(), error: Cause.squash(cause) })),
              exit
            )
          },
          onSuccess: (response) =>
            after(
              writeLine(exchange.minLevel, response.status >= 500 ? LogLevel.Warning : LogLevel.Info, () =>
                RequestLog.logResponse({
                  ...info(exchange, api, request),
                  status: response.status,
                  duration: duration(),
                  headers: response.headers
                })),
              Effect.succeed(response)
            )
        })
      }
      const line = writeLine(exchange.minLevel, LogLevel.Debug, () =>
        RequestLog.logRequest({ ...info(exchange, api, request), headers: request.headers, body: loggableBody(request.body) }))
      return line === undefined ? sendAndLog() : Effect.zipRight(line, Effect.suspend(sendAndLog))
    })
}
