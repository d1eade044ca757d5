/**
 * What leaves the governor carries redacted copies of the platform request and response:
 *
 * - errors: the `Authorization` header the client added, `Set-Cookie`, the token wherever it appears in
 *   the URL or a header, all masked with the API's redactor. The copies stay usable: method, status,
 *   non-secret headers and the body (read through the original response) remain readable, and their
 *   `toJSON` is redacted too (`JSON.stringify(error)` outside a fiber would otherwise print raw headers);
 * - returned responses keep their real headers and body (the caller may need a cookie) and their
 *   identity, but their
 *   `request` (which holds the credential the client added) and their `toJSON` are redacted, so an
 *   error the caller builds from one (`filterStatusOk`) shows no secret either.
 *
 * @since 0.1.0
 * @internal
 */
import {
  Cookies,
  Headers,
  HttpClientError,
  type HttpClientRequest,
  type HttpClientResponse,
  UrlParams
} from "@effect/platform"
import { Effect, Option, Stream } from "effect"
import type { Redactor } from "../logging/redact.js"
import { RetriesExhausted } from "../retry/errors.js"

/**
 * Redacted copies of what an error carries.
 *
 * @since 0.1.0
 * @internal
 */
export interface ErrorRedactor {
  /** A copy with redacted request / response (and `RetriesExhausted` contents); other values as they are. */
  readonly error: <E>(error: E) => E
  /** The response for the caller: real headers and body; `request` (built on first use) and `toJSON` redacted, in place. */
  readonly returned: (response: HttpClientResponse.HttpClientResponse) => HttpClientResponse.HttpClientResponse
  readonly request: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest
  readonly response: (response: HttpClientResponse.HttpClientResponse) => HttpClientResponse.HttpClientResponse
}

/** The body readers of a response, read through the original (one body, one cache). */
const READERS = ["text", "json", "arrayBuffer", "formData", "urlParamsBody"] as const

/**
 * @since 0.1.0
 * @internal
 */
export const make = (redactor: Redactor): ErrorRedactor => {
  const request = (r: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
    const params = UrlParams.toString(r.urlParams)
    // A request is an immutable record over a shared prototype: a copy with other fields is a request.
    return Object.assign(Object.create(Object.getPrototypeOf(r)) as HttpClientRequest.HttpClientRequest, r, {
      url: redactor.redactUrl(r.url),
      urlParams: params === ""
        ? r.urlParams
        : UrlParams.fromInput(new URLSearchParams(redactor.redactUrl(`?${params}`).slice(1))),
      hash: Option.map(r.hash, (h) => redactor.redactUrl(`#${h}`).slice(1)),
      headers: Headers.fromInput(redactor.redactHeaders(r.headers))
    })
  }

  const response = (res: HttpClientResponse.HttpClientResponse): HttpClientResponse.HttpClientResponse => {
    // Delegates to the original (status, body, stream); overrides what may hold a secret.
    const copy = Object.create(res) as HttpClientResponse.HttpClientResponse
    const properties: PropertyDescriptorMap = {
      request: { value: request(res.request) },
      headers: { value: Headers.fromInput(redactor.redactHeaders(res.headers)) },
      cookies: { value: Cookies.empty },
      stream: { get: () => Stream.mapError(res.stream, error) },
      toJSON: { value: () => redactor.redactValue(res.toJSON.call(copy)) }
    }
    for (const reader of READERS) properties[reader] = { get: () => Effect.mapError(res[reader], error) }
    return Object.defineProperties(copy, properties)
  }

  const withRedactedJson = <A extends object>(copy: A): A => {
    const plain = (copy as { toJSON?: () => unknown }).toJSON
    return plain === undefined ? copy : Object.defineProperty(copy, "toJSON", {
      value: () => redactor.redactValue(plain.call(copy)),
      enumerable: false
    })
  }

  const httpError = (e: HttpClientError.HttpClientError): HttpClientError.HttpClientError => {
    const common = {
      request: request(e.request),
      ...(e.cause === undefined ? {} : { cause: redactor.redactValue(e.cause) }),
      ...(e.description === undefined ? {} : { description: redactor.redactText(e.description) })
    }
    return withRedactedJson(
      e._tag === "RequestError"
        ? new HttpClientError.RequestError({ ...common, reason: e.reason })
        : new HttpClientError.ResponseError({ ...common, reason: e.reason, response: response(e.response) })
    )
  }

  const error = <E>(e: E): E => {
    if (HttpClientError.isHttpClientError(e)) return httpError(e) as E
    if (e instanceof RetriesExhausted) {
      return withRedactedJson(
        new RetriesExhausted({
          reason: e.reason,
          attempts: e.attempts,
          lastStatus: e.lastStatus,
          delays: e.delays,
          retryAfter: e.retryAfter,
          method: e.method,
          url: redactor.redactUrl(e.url),
          lastResponse: e.lastResponse === undefined ? undefined : response(e.lastResponse),
          lastError: error(e.lastError)
        })
      ) as E
    }
    return e
  }

  // In place, not a copy: a response's identity carries its cache status (`ResponseCache.cacheStatus`).
  const returned = (res: HttpClientResponse.HttpClientResponse): HttpClientResponse.HttpClientResponse => {
    const raw = res.request
    const plainJson = res.toJSON
    let redacted: HttpClientRequest.HttpClientRequest | undefined
    return Object.defineProperties(res, {
      request: { get: () => (redacted ??= request(raw)), configurable: true },
      toJSON: { value: () => redactor.redactValue(plainJson.call(res)), configurable: true, writable: true }
    })
  }

  return { error, request, response, returned }
}
