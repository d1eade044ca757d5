/**
 * The request headers that carry a credential, in one place: the cache partitions its keys by them and
 * the config refuses them as plain default headers (a token belongs in `auth`, as a `Redacted`).
 *
 * @since 0.1.0
 * @internal
 */
export const CREDENTIAL_HEADERS: ReadonlyArray<string> = [
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-auth-token",
  "cookie"
]
