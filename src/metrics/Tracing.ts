/**
 * Spans for governed requests, with OpenTelemetry HTTP semantic-convention attributes, so an
 * OpenTelemetry exporter (`@effect/opentelemetry`) picks them up unchanged:
 *
 * - one `governor.request` span (kind `internal`) per logical request, with `governor.api`,
 *   `governor.attempts`, `governor.cache`, and the final `http.response.status_code`;
 * - one span per attempt named after the method (kind `client`, as the HTTP client semantic
 *   conventions ask), with `http.request.resend_count` from the second attempt on.
 *
 * `url.full` / `url.path` are redacted with the request's own redactor (the client passes its API's,
 * which knows the token) or else the {@link Redaction.Redaction} in effect, and no header is ever
 * recorded, so attributes hold no secret.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { dual } from "effect/Function"
import type { Redactor } from "../logging/redact.js"
import * as Redaction from "../logging/Redaction.js"

/**
 * Semantic-convention attribute names used here.
 *
 * @since 0.1.0
 */
export const Attr = {
  method: "http.request.method",
  methodOriginal: "http.request.method_original",
  urlFull: "url.full",
  urlScheme: "url.scheme",
  urlPath: "url.path",
  serverAddress: "server.address",
  serverPort: "server.port",
  statusCode: "http.response.status_code",
  resendCount: "http.request.resend_count",
  errorType: "error.type",
  api: "governor.api",
  attempts: "governor.attempts",
  cache: "governor.cache"
} as const

/**
 * Name of the logical request span.
 *
 * @since 0.1.0
 */
export const requestSpanName = "governor.request"

const knownMethods = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"])

/**
 * What the span helpers need to know about a request.
 *
 * @since 0.1.0
 */
export interface SpanRequest {
  readonly api: string
  readonly method: string
  readonly url: string | URL
  /** Redacts the attributes; default: the {@link Redaction.Redaction} in effect. */
  readonly redactor?: Redactor | undefined
}

/**
 * The attributes of a request (pure; the URL is redacted with `redactor`). Unknown methods are
 * reported as `_OTHER` with the original in `http.request.method_original`, as the conventions
 * ask; a URL that does not parse still gets a redacted `url.full`.
 *
 * @since 0.1.0
 */
export const requestAttributes = (redactor: Redactor, request: SpanRequest): Record<string, string | number> => {
  const method = request.method.toUpperCase()
  const attrs: Record<string, string | number> = {
    [Attr.api]: request.api,
    [Attr.urlFull]: redactor.redactUrl(request.url)
  }
  if (knownMethods.has(method)) attrs[Attr.method] = method
  else {
    attrs[Attr.method] = "_OTHER"
    attrs[Attr.methodOriginal] = redactor.redactText(request.method)
  }
  let parsed: URL | undefined
  try {
    parsed = typeof request.url === "string" ? new URL(request.url) : request.url
  } catch {
    parsed = undefined
  }
  if (parsed !== undefined) {
    attrs[Attr.urlScheme] = parsed.protocol.replace(/:$/, "")
    attrs[Attr.serverAddress] = parsed.hostname
    attrs[Attr.urlPath] = redactor.redactText(parsed.pathname)
    const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : parsed.protocol === "http:" ? 80 : undefined
    if (port !== undefined) attrs[Attr.serverPort] = port
  }
  return attrs
}

/**
 * The attributes of one attempt (1-based): the request attributes plus
 * `http.request.resend_count = attempt - 1` from the second attempt on.
 *
 * @since 0.1.0
 */
export const attemptAttributes = (
  redactor: Redactor,
  request: SpanRequest,
  attempt: number
): Record<string, string | number> => {
  const attrs = requestAttributes(redactor, request)
  if (attempt > 1) attrs[Attr.resendCount] = attempt - 1
  return attrs
}

/**
 * The attributes describing a response status: `http.response.status_code`, plus
 * `error.type` (the status as a string) for statuses >= 400.
 *
 * @since 0.1.0
 */
export const responseAttributes = (status: number): Record<string, string | number> =>
  status >= 400 ? { [Attr.statusCode]: status, [Attr.errorType]: String(status) } : { [Attr.statusCode]: status }

// Effect's built-in tracer keeps spans in memory and exports nothing; building two redacted spans
// per request for it costs more than the rest of the governor. Spans are made only when a real
// tracer (e.g. @effect/opentelemetry) is installed.
const nativeTracer = Effect.runSync(Effect.tracer)

/**
 * Whether `tracer` records spans somewhere (anything but Effect's built-in in-memory tracer).
 *
 * @since 0.1.0
 */
export const isTracing = (tracer: unknown): boolean => tracer !== nativeTracer

const whenTracing = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  request: SpanRequest,
  traced: (redactor: Redactor) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === nativeTracer
      ? self
      : request.redactor !== undefined
      ? traced(request.redactor)
      : Effect.flatMap(Redaction.Redaction, (r) => traced(r.redactor))
  )

// `annotateCurrentSpan` without a span builds (and drops) a NoSuchElementException with a stack trace.
const annotateIfTracing = (attributes: () => Record<string, unknown>): Effect.Effect<void> =>
  Effect.tracerWith((tracer) => tracer === nativeTracer ? Effect.void : Effect.annotateCurrentSpan(attributes()))

/**
 * Runs `self` in a `governor.request` span (when a tracer other than Effect's built-in one is installed).
 *
 * @since 0.1.0
 */
export const withRequestSpan: {
  (request: SpanRequest): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, request: SpanRequest): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, request: SpanRequest): Effect.Effect<A, E, R> =>
  whenTracing(self, request, (redactor) =>
    Effect.withSpan(self, requestSpanName, {
      kind: "internal",
      // A stack trace per span costs more than the rest of the request path; spans here are
      // identified by their attributes.
      captureStackTrace: false,
      attributes: requestAttributes(redactor, request)
    })))

/**
 * Runs `self` (one physical HTTP attempt, 1-based) in a client span named after the method.
 *
 * @since 0.1.0
 */
export const withAttemptSpan: {
  (request: SpanRequest, attempt: number): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, request: SpanRequest, attempt: number): Effect.Effect<A, E, R>
} = dual(3, <A, E, R>(self: Effect.Effect<A, E, R>, request: SpanRequest, attempt: number): Effect.Effect<A, E, R> =>
  whenTracing(self, request, (redactor) => {
    const attrs = attemptAttributes(redactor, request, attempt)
    return Effect.withSpan(self, String(attrs[Attr.method] === "_OTHER" ? "HTTP" : attrs[Attr.method]), {
      kind: "client",
      captureStackTrace: false,
      attributes: attrs
    })
  }))

/**
 * Records a response status on the current span.
 *
 * @since 0.1.0
 */
export const annotateResponse = (status: number): Effect.Effect<void> =>
  annotateIfTracing(() => responseAttributes(status))

/**
 * Records the outcome of a logical request on the current span: attempts made, cache status.
 *
 * @since 0.1.0
 */
export const annotateOutcome = (outcome: {
  readonly attempts: number
  readonly cache?: string | undefined
  readonly status?: number | undefined
}): Effect.Effect<void> =>
  annotateIfTracing(() => ({
    [Attr.attempts]: outcome.attempts,
    ...(outcome.cache !== undefined ? { [Attr.cache]: outcome.cache } : {}),
    ...(outcome.status !== undefined ? responseAttributes(outcome.status) : {})
  }))
