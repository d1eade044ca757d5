/**
 * An `HttpClientResponse` served from memory: the stored bytes, without going through a web
 * `Response` (whose stream machinery costs more than the whole cache lookup). Every body accessor
 * can be used any number of times, and each returns its own copy of the bytes.
 *
 * @since 0.1.0
 * @internal
 */
import { Cookies, Headers, HttpClientResponse, HttpIncomingMessage, UrlParams } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { ResponseError } from "@effect/platform/HttpClientError"
import { Effect, Inspectable, Option, Stream } from "effect"
import type { CacheStatus, StaleReason } from "./status.js"

const nullBodyStatuses = new Set([204, 205, 304])
const decoder = new TextDecoder()

class CachedResponseImpl extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly remoteAddress: Option.Option<string> = Option.none()

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    readonly headers: Headers.Headers,
    private readonly body: Uint8Array,
    /** How the cache produced it; `undefined` for a response passed through from read bytes. */
    readonly cacheStatus: CacheStatus | undefined,
    readonly staleReason: StaleReason | undefined
  ) {
    super()
  }

  private decodeError(cause: unknown): ResponseError {
    return new ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }

  private cachedCookies: Cookies.Cookies | undefined
  get cookies(): Cookies.Cookies {
    const setCookie = this.headers["set-cookie"]
    return this.cachedCookies ??= setCookie === undefined ? Cookies.empty : Cookies.fromSetCookie(setCookie)
  }

  get stream(): Stream.Stream<Uint8Array, ResponseError> {
    return nullBodyStatuses.has(this.status)
      ? Stream.fail(
        new ResponseError({
          request: this.request,
          response: this,
          reason: "EmptyBody",
          description: "can not create stream from empty body"
        })
      )
      : Stream.sync(() => this.body.slice())
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, ResponseError> {
    return Effect.sync(() => this.body.slice().buffer as ArrayBuffer)
  }

  get text(): Effect.Effect<string, ResponseError> {
    return Effect.sync(() => decoder.decode(this.body))
  }

  get json(): Effect.Effect<unknown, ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text) as unknown),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, ResponseError> {
    return Effect.tryPromise({
      try: () => new Response(nullBodyStatuses.has(this.status) ? null : this.body.slice(), { headers: this.headers }).formData(),
      catch: (cause) => this.decodeError(cause)
    })
  }
}

/**
 * A response for `request` with a stored status, headers and body.
 *
 * @internal
 */
export const make = (
  request: HttpClientRequest.HttpClientRequest,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array
): HttpClientResponse.HttpClientResponse =>
  new CachedResponseImpl(request, status, Headers.fromInput(headers), body, undefined, undefined)

/**
 * A response the cache answers with, over headers already built: a hit reuses the `Headers` of its
 * entry (immutable), so it costs one object, which also carries its cache status.
 *
 * @internal
 */
export const served = (
  request: HttpClientRequest.HttpClientRequest,
  status: number,
  headers: Headers.Headers,
  body: Uint8Array,
  cacheStatus: CacheStatus,
  staleReason?: StaleReason
): HttpClientResponse.HttpClientResponse => new CachedResponseImpl(request, status, headers, body, cacheStatus, staleReason)

/** The cache status and stale reason a response carries, if the cache served it. @internal */
export const servedAs = (
  response: HttpClientResponse.HttpClientResponse
): { readonly status: CacheStatus | undefined; readonly reason: StaleReason | undefined } | undefined =>
  response instanceof CachedResponseImpl ? { status: response.cacheStatus, reason: response.staleReason } : undefined
