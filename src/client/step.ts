/**
 * The one way the client's steps are written: a `Step` wraps the next `send` for each request. The
 * public `with…` combinators put it around an `HttpClient` with its service read from context per
 * request (`fromContext`) or given (`stepWith`); `ResilientClient.make` composes the same steps as
 * plain functions with the parts built from the config (`standardPipe.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import { HttpClient, type HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Effect } from "effect"

/**
 * The rest of the client below a step, for one request.
 *
 * @since 0.1.0
 * @internal
 */
export type Send<E, R> = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>

/**
 * One step with its service `S`, adding failures `E2`.
 *
 * @since 0.1.0
 * @internal
 */
export type Step<S, E2> = <E, R>(
  service: S,
  send: Send<E, R>,
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R>

/**
 * `self` with `f` around its sending of each request. `send(request)` is the rest of the client for
 * the request being sent; another request (the cache's revalidation) goes through `self.execute`,
 * so `mapRequest`s belong outside the steps (they would apply to it twice).
 *
 * @since 0.1.0
 * @internal
 */
export const around = <E, R, E2, R2>(
  self: HttpClient.HttpClient.With<E, R>,
  f: (send: Send<E, R>, request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E2, R2>
): HttpClient.HttpClient.With<E2, R2> =>
  HttpClient.transform(self, (effect, request) => f((r) => r === request ? effect : self.execute(r), request)) as HttpClient
    .HttpClient.With<E2, R2>

/**
 * @since 0.1.0
 * @internal
 */
export const stepWith = <S, E2>(step: Step<S, E2>, service: S) =>
<E, R>(self: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | E2, R> =>
  around(self, (send, request) => step(service, send, request))

/**
 * @since 0.1.0
 * @internal
 */
export const fromContext = <I, S, E2>(tag: { readonly Service: S; readonly Identifier: I } & Effect.Effect<S, never, I>, step: Step<S, E2>) =>
<E, R>(self: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | E2, R | I> =>
  around(self, (send, request) => Effect.flatMap(tag, (service) => step(service, send, request)))
