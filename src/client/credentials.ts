/**
 * The client's credential: resolved once when the client is built, set on every request it sends.
 *
 * @since 0.1.0
 * @internal
 */
import { HttpClientRequest } from "@effect/platform"
import { Config, Effect, Option, Redacted } from "effect"
import type { ApiConfig } from "../config/ApiConfig.js"
import * as Loader from "../config/load.js"
import { MissingToken } from "./errors.js"
import * as Origin from "./origin.js"

/**
 * Resolve the token: the explicit option, else the variable named by `auth.env` (default
 * `GOVERNOR_<NAME>_TOKEN`). With `auth` configured, an unset or empty variable fails construction,
 * unless `auth.optional`: requests must never go out silently unauthenticated.
 */
export const resolveToken = (
  config: ApiConfig,
  options: { readonly token?: Redacted.Redacted<string> | undefined }
): Effect.Effect<Option.Option<Redacted.Redacted<string>>, MissingToken> => {
  if (options.token !== undefined) return Effect.succeed(Option.some(options.token))
  const auth = config.auth
  if (auth === undefined) return Effect.succeed(Option.none())
  const variable = auth.env ?? Loader.defaultTokenVariable(config.name)
  return Effect.flatMap(Effect.option(Config.redacted(variable)), (found) => {
    if (Option.isSome(found) && Redacted.value(found.value).trim() !== "") return Effect.succeed(found)
    return auth.optional
      ? Effect.succeed(Option.none())
      : Effect.fail(new MissingToken({ api: config.name, variable, reason: Option.isNone(found) ? "Unset" : "Empty" }))
  })
}

export const authorize = (config: ApiConfig, token: Option.Option<Redacted.Redacted<string>>) =>
(request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  if (Option.isNone(token)) return request
  const auth = config.auth ?? { scheme: "bearer" as const, header: "Authorization" }
  const value = Redacted.value(token.value)
  return HttpClientRequest.setHeader(request, auth.header, auth.scheme === "bearer" ? `Bearer ${value}` : value)
}

/**
 * Base URL, default headers (the request's own win) and the credential, applied before the cache so
 * its credential partition sees the Authorization header. Absolute URLs (pagination links) stay as
 * they are; the origin guard refuses any other origin.
 *
 * @since 0.1.0
 * @internal
 */
export const preparer = (config: ApiConfig, token: Option.Option<Redacted.Redacted<string>>) => {
  const withToken = authorize(config, token)
  const hasDefaultHeaders = Object.keys(config.headers).length > 0
  return (request: HttpClientRequest.HttpClientRequest) => {
    const prefixed = Origin.isAbsolute(request.url) ? request : HttpClientRequest.prependUrl(request, config.baseUrl)
    return withToken(hasDefaultHeaders ? HttpClientRequest.setHeaders(prefixed, { ...config.headers, ...request.headers }) : prefixed)
  }
}

