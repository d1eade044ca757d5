/**
 * The field schemas the `ApiConfig` sections are made of (beside those shared with the options of
 * `RetryPolicy.make`, `CircuitBreaker.make`, `Bulkhead.make`, the cache): waits, rates, header
 * values, environment variable names, the base URL; and the ranges their descriptions show.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Schema } from "effect"
import {
  MAX_ADAPTIVE_RATE,
  MAX_BREAKER_COUNT,
  MAX_ERROR_STATUS,
  MAX_REQUEST_WAIT,
  MIN_ERROR_STATUS
} from "../../internal/bounds.js"
import { isHeaderName } from "../../internal/headerSyntax.js"
import { durationUpTo } from "../../internal/schema.js"
import { MAX_PACING_MS } from "../../limiter/pacing.js"

/** A wait within one request: `>= 0` (or `> 0`), at most `MAX_REQUEST_WAIT`. */
export const RequestWait = durationUpTo(MAX_REQUEST_WAIT)
export const PositiveRequestWait = durationUpTo(MAX_REQUEST_WAIT, { positive: true })

/** A server may pause a key until its quota resets, but never longer than the limiter accepts. */
export const QuotaWait = durationUpTo(Duration.millis(MAX_PACING_MS), { positive: true })

// The ranges as the reference table shows them (descriptions are the README's source).
export const WAIT_RANGE = `0 to ${Duration.format(MAX_REQUEST_WAIT)}`
export const POSITIVE_WAIT_RANGE = `more than 0, at most ${Duration.format(MAX_REQUEST_WAIT)}`
export const RATE_RANGE = `From one a day (1/86400) to ${MAX_ADAPTIVE_RATE}.`
export const STATUS_RANGE = `${MIN_ERROR_STATUS}-${MAX_ERROR_STATUS}`
export const COUNT_RANGE = `1 to ${MAX_BREAKER_COUNT}`

// The message never echoes the value: a header value may be a secret pasted by mistake.
export const HeaderValue = Schema.String.pipe(
  Schema.filter((s) => !/[\r\n\0]/.test(s), {
    message: () => "Expected a header value without CR, LF or NUL characters"
  })
)

// Keys are checked by a filter rather than a refined key schema: with excess properties rejected, a bad key
// would otherwise be reported as merely "unexpected".
export const Headers = Schema.Record({ key: Schema.String, value: HeaderValue }).pipe(
  Schema.filter((headers) => {
    const bad = Object.keys(headers).find((name) => !isHeaderName(name))
    return bad === undefined
      ? true
      : { path: [bad], message: `Expected an HTTP header name (letters, digits, "-"...), got ${JSON.stringify(bad)}` }
  })
)

// Upper case only: a token pasted here by mistake (ghp_…, sk_live_…) is then rejected instead of being
// used, and echoed, as a variable name. The message never repeats the value for the same reason.
export const EnvVarName = Schema.String.pipe(
  Schema.filter((s) => /^[A-Z_][A-Z0-9_]*$/.test(s), {
    message: () =>
      "Expected the NAME of an environment variable (upper case letters, digits and _, e.g. NOTION_TOKEN), not the token itself"
  })
)

export const BaseUrl = Schema.String.pipe(
  Schema.filter((s): Schema.FilterOutput => {
    let url: URL
    try {
      url = new URL(s)
    } catch {
      return `Expected an absolute http(s) URL such as "https://api.example.com/v1", got ${JSON.stringify(s)}`
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return `Expected an http or https URL, got protocol ${JSON.stringify(url.protocol)}`
    }
    // Credentials in the URL would end up in logs and cache keys; they belong in `auth`.
    if (url.username !== "" || url.password !== "") {
      return "baseUrl must not contain credentials (user:password@); use the auth section and an environment variable"
    }
    if (url.search !== "" || url.hash !== "") {
      return "baseUrl must not contain a query string or fragment"
    }
    return true
  })
).annotations({ identifier: "BaseUrl" })
