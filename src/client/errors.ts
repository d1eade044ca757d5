/**
 * Tagged errors of the composed client.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A request URL was refused before anything was sent: it points at another origin than the API's
 * `baseUrl` (the credential is only ever sent to that origin), or it carries credentials
 * (`user:password@`). `origin` is the refused URL's origin (scheme, host, port; never userinfo,
 * path or query); `allowed` the `baseUrl` origin.
 *
 * @since 0.1.0
 * @category errors
 */
export class RefusedUrl extends Schema.TaggedError<RefusedUrl>()("RefusedUrl", {
  reason: Schema.Literal("ForeignOrigin", "Credentials", "Unparsable"),
  origin: Schema.String,
  allowed: Schema.String
}) {
  override get message(): string {
    switch (this.reason) {
      case "ForeignOrigin":
        return `Refused a request to ${this.origin}: the client only sends requests (and its credential) to ${this.allowed}`
      case "Credentials":
        return `Refused a request to ${this.origin}: the URL carries credentials (user:password@); use the auth section`
      case "Unparsable":
        return `Refused a request: its absolute URL (${this.origin}) does not parse`
    }
  }
}

/**
 * The config says how to send a token (`auth`), but none was given and the environment variable
 * holding it is unset or empty. Set the variable, pass `token`, or mark the API `auth.optional`.
 * Distinct from the config's `ApiConfig.InvalidConfig` (and from Effect's own `ConfigError`).
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingToken extends Schema.TaggedError<MissingToken>()("MissingToken", {
  api: Schema.String,
  variable: Schema.String,
  reason: Schema.Literal("Unset", "Empty")
}) {
  override get message(): string {
    return `API "${this.api}" needs a token: environment variable ${this.variable} is ${
      this.reason === "Unset" ? "not set" : "empty"
    } (pass \`token\`, set the variable, or set auth.optional: true for an API that allows no token)`
  }
}
