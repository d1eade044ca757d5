/**
 * RFC 5861 (pure): how long past its freshness a stored response may still be served, either at
 * once while it is refreshed in the background (`stale-while-revalidate`) or when the request would
 * otherwise fail (`stale-if-error`).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import { deltaSeconds, header, type Headers, parseCacheControl } from "./directives.js"

/**
 * Milliseconds past `expiresAt` during which an entry may be served stale; zero for "never".
 *
 * @since 0.1.0
 * @category models
 */
export interface StaleAllowance {
  readonly whileRevalidate: number
  readonly ifError: number
}

const never: StaleAllowance = { whileRevalidate: 0, ifError: 0 }

/**
 * The allowance of a response: its own `stale-while-revalidate` / `stale-if-error` directives, else
 * the configured defaults. None at all when the response forbids serving it stale (RFC 9111
 * §4.2.4): `must-revalidate`, `no-cache`, `no-store`, and in a shared cache `proxy-revalidate` or
 * `s-maxage` (which carries proxy-revalidate's meaning, §5.2.2.10). `cc`: its `Cache-Control`
 * when already parsed.
 *
 * @since 0.1.0
 * @category decisions
 */
export const staleAllowance = (
  headers: Headers,
  policy: {
    readonly shared: boolean
    readonly staleWhileRevalidate: Duration.Duration
    readonly staleIfError: Duration.Duration
  },
  cc: ReadonlyMap<string, string | true> = parseCacheControl(header(headers, "cache-control"))
): StaleAllowance => {
  if (cc.has("must-revalidate") || cc.has("no-cache") || cc.has("no-store")) return never
  if (policy.shared && (cc.has("proxy-revalidate") || cc.has("s-maxage"))) return never
  const whileRevalidate = deltaSeconds(cc, "stale-while-revalidate") ?? Duration.toMillis(policy.staleWhileRevalidate)
  const ifError = deltaSeconds(cc, "stale-if-error") ?? Duration.toMillis(policy.staleIfError)
  return whileRevalidate === 0 && ifError === 0 ? never : { whileRevalidate, ifError }
}

/**
 * Statuses that count as an error for `stale-if-error`: RFC 5861's 500, 502, 503 and 504, plus 429
 * (the API is rate limiting us; a stale answer beats a wait).
 *
 * @since 0.1.0
 * @category constants
 */
export const errorStatuses: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])
