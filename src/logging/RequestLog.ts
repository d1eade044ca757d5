/**
 * Structured request / response log lines for the governed client.
 *
 * One line per attempt (Info; Warning for 5xx and transport errors) carries `cache`, `limiter_wait_ms`
 * and `breaker` next to the status; a response served from the cache (fresh, or shared from another
 * request's flight) has a line of its own, `cache=hit`, and no attempt. The request line is Debug.
 *
 * Fields are redacted here with the {@link Redaction.Redaction} in effect (so they are safe even
 * under a logger that does not redact), then annotated onto one log record:
 *
 * | annotation          | meaning                                          |
 * |---------------------|--------------------------------------------------|
 * | `api`               | API name                                         |
 * | `http.method`       | request method                                   |
 * | `url`               | redacted URL                                     |
 * | `attempt`           | 1 for the first try, 2 for the first retry, …    |
 * | `http.status`       | response status (response line)                  |
 * | `duration_ms`       | time of the attempt (response line)              |
 * | `cache`             | why the cache sent the attempt (`ResponseCache.SendReason`): `miss` / `revalidate` / `refresh` (background) / `bypass`; `hit` on the line of a response served from the cache |
 * | `limiter_wait_ms`   | time spent waiting for the rate limiter          |
 * | `breaker`           | circuit breaker state                            |
 * | `retry_in_ms`       | delay before the next attempt, when retrying     |
 * | `error`             | `_tag` / message of a transport error            |
 * | `request.headers` / `response.headers` | only when headers may be logged |
 * | `body`              | only when bodies are on (Debug level)            |
 *
 * @since 0.1.0
 */
import { Duration, Effect, FiberRef, LogLevel } from "effect"
import type { SendReason } from "../cache/status.js"
import type * as redact from "./redact.js"
import * as Redaction from "./Redaction.js"

/**
 * The `cache` field of these log lines: on an attempt line, the `ResponseCache.SendReason` the cache
 * sent it with; `hit` on the line of a response served from the cache (a stale answer has the cache's
 * own line, `cache=stale`). Not the `ResponseCache.CacheStatus` of an answer (`HIT`, `MISS`, ... in the
 * marker header): these lines are written per attempt, and one answer may take several attempts, or none.
 *
 * @since 0.1.0
 */
export type CacheLogLabel = "hit" | SendReason

/**
 * Circuit breaker state as logged.
 *
 * @since 0.1.0
 */
export type BreakerStateLabel = "closed" | "open" | "half-open"

/**
 * Fields shared by request and response lines.
 *
 * @since 0.1.0
 */
export interface RequestInfo {
  readonly api: string
  readonly method: string
  readonly url: string | URL
  /** 1 for the first try. */
  readonly attempt: number
  readonly cache?: CacheLogLabel | undefined
  readonly limiterWait?: Duration.DurationInput | undefined
  readonly breaker?: BreakerStateLabel | undefined
  readonly headers?: redact.HeadersInput | undefined
  /** A string, a JSON-able value, or bytes (logged as a size only). */
  readonly body?: unknown
}

/**
 * Fields of a response (or failed attempt) line.
 *
 * @since 0.1.0
 */
export interface ResponseInfo extends RequestInfo {
  readonly status?: number | undefined
  readonly duration: Duration.DurationInput
  /** The delay before the next attempt, when the attempt will be retried. */
  readonly retryIn?: Duration.DurationInput | undefined
  /** A transport error (no status). */
  readonly error?: unknown
  /** Override the level (default: Warning for 5xx and errors, Info otherwise). */
  readonly level?: LogLevel.LogLevel | undefined
}

const ms = (d: Duration.DurationInput): number => Math.round(Duration.toMillis(Duration.decode(d)) * 1000) / 1000

const bodyText = (redactor: redact.Redactor, body: unknown, max: number): string => {
  let text: string
  if (typeof body === "string") {
    const t = body.trim()
    text = t.startsWith("{") || t.startsWith("[") ? redactor.redactJson(body) : redactor.redactText(body)
  } else if (body instanceof Uint8Array) {
    return `<${body.byteLength} bytes>`
  } else {
    let json: string | undefined
    try {
      json = JSON.stringify(redactor.redactValue(body))
    } catch {
      json = undefined
    }
    text = json ?? String(redactor.redactText(String(body)))
  }
  // Truncate AFTER redacting, so a secret cut in half is never shown.
  return text.length > max ? `${text.slice(0, max)}…(${text.length - max} more chars)` : text
}

const errorLabel = (redactor: redact.Redactor, error: unknown): string => {
  if (error !== null && typeof error === "object") {
    const tag = (error as { _tag?: unknown })._tag
    const message = (error as { message?: unknown }).message
    const parts = [typeof tag === "string" ? tag : undefined, typeof message === "string" ? message : undefined]
      .filter((p): p is string => p !== undefined && p.length > 0)
    if (parts.length > 0) return redactor.redactText(parts.join(": "))
  }
  return redactor.redactText(String(error))
}

const common = (
  service: Redaction.RedactionService,
  info: RequestInfo,
  showHeaders: boolean,
  headersKey: string
): Record<string, unknown> => {
  const r = service.redactor
  const a: Record<string, unknown> = {
    api: info.api,
    "http.method": info.method,
    url: r.redactUrl(info.url),
    attempt: info.attempt
  }
  if (info.cache !== undefined) a["cache"] = info.cache
  if (info.limiterWait !== undefined) a["limiter_wait_ms"] = ms(info.limiterWait)
  if (info.breaker !== undefined) a["breaker"] = info.breaker
  if (showHeaders && info.headers !== undefined) a[headersKey] = r.redactHeaders(info.headers)
  if (service.requestLog.bodies && info.body !== undefined) {
    a["body"] = bodyText(r, info.body, service.requestLog.maxBodyChars)
  }
  return a
}

const headersAllowed = (policy: Redaction.RequestLogPolicy, min: LogLevel.LogLevel): boolean =>
  policy.headers === "always" || (policy.headers === "debug" && LogLevel.lessThanEqual(min, LogLevel.Debug))

/**
 * Logs the request line of one attempt, at Debug.
 *
 * @since 0.1.0
 */
export const logRequest = (info: RequestInfo): Effect.Effect<void> =>
  Effect.gen(function*() {
    const min = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    // Redacting and building annotations is the costly part: skip it when the line is dropped anyway.
    if (LogLevel.greaterThan(min, LogLevel.Debug)) return
    const service = yield* Redaction.Redaction
    const annotations = common(service, info, headersAllowed(service.requestLog, min), "request.headers")
    yield* Effect.logDebug(`${info.method} ${String(annotations["url"])}`).pipe(Effect.annotateLogs(annotations))
  })

/**
 * Logs the response (or failed attempt) line, at Info (Warning for 5xx and transport errors).
 *
 * @since 0.1.0
 */
export const logResponse = (info: ResponseInfo): Effect.Effect<void> =>
  Effect.gen(function*() {
    const min = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const level = info.level ??
      ((info.error !== undefined || (info.status !== undefined && info.status >= 500)) ? LogLevel.Warning : LogLevel.Info)
    if (LogLevel.greaterThan(min, level)) return
    const service = yield* Redaction.Redaction
    const annotations = common(service, info, headersAllowed(service.requestLog, min), "response.headers")
    annotations["duration_ms"] = ms(info.duration)
    if (info.status !== undefined) annotations["http.status"] = info.status
    if (info.retryIn !== undefined) annotations["retry_in_ms"] = ms(info.retryIn)
    if (info.error !== undefined) annotations["error"] = errorLabel(service.redactor, info.error)
    const outcome = info.status !== undefined ? String(info.status) : "error"
    yield* Effect.logWithLevel(
      level,
      `${info.method} ${String(annotations["url"])} ${outcome} ${annotations["duration_ms"]}ms`
    ).pipe(Effect.annotateLogs(annotations))
  })

/**
 * Fields of the line of a response served from the cache, without an attempt of its own.
 *
 * @since 0.1.0
 */
export interface CacheHitInfo {
  readonly api: string
  readonly method: string
  readonly url: string | URL
  readonly status: number
  readonly duration: Duration.DurationInput
}

/**
 * Logs a response served from the cache, at Info: `GET <url> 200 (cache hit) 0ms`, `cache=hit`.
 *
 * @since 0.1.0
 */
export const logCacheHit = (info: CacheHitInfo): Effect.Effect<void> =>
  Effect.gen(function*() {
    const min = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    if (LogLevel.greaterThan(min, LogLevel.Info)) return
    const service = yield* Redaction.Redaction
    const url = service.redactor.redactUrl(info.url)
    const duration = ms(info.duration)
    yield* Effect.logInfo(`${info.method} ${url} ${info.status} (cache hit) ${duration}ms`).pipe(
      Effect.annotateLogs({ api: info.api, "http.method": info.method, url, "http.status": info.status, cache: "hit", duration_ms: duration })
    )
  })
