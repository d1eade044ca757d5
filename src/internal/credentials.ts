/**
 * The request headers that carry a credential, by exact (lower-case) name, in one place: the cache
 * partitions its keys by them (two users never share an entry), the logger masks them, and the
 * config refuses them as plain default headers (a token belongs in `auth`, as a `Redacted`).
 *
 * The logger's substring rules (names containing "token", "secret", "signature"…) are deliberately
 * not here: a per-request signature header would make every cache lookup a miss.
 *
 * @since 0.1.0
 * @internal
 */
export const CREDENTIAL_HEADERS: ReadonlyArray<string> = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
  "x-auth-token",
  "api-key",
  "x-amz-security-token",
  "x-goog-api-key"
]
