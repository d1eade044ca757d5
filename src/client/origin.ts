/**
 * Where a request may go: the API's `baseUrl` origin, and nowhere else. Paths are resolved against
 * `baseUrl`; absolute URLs (pagination links) are kept as they are; the final URL is checked last,
 * so neither an absolute URL nor a path glued to `baseUrl` (`".evil.example"`, `"@evil.example"`)
 * sends the credential to another host.
 *
 * @since 0.1.0
 * @internal
 */
import { RefusedUrl } from "./errors.js"

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
const LITERAL_ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\]*/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

/**
 * True for an absolute URL with an authority (`scheme://…`), which is not resolved against `baseUrl`.
 *
 * @since 0.1.0
 * @internal
 */
export const isAbsolute = (url: string): boolean => ABSOLUTE.test(url)

/** `scheme://host[:port]` of a parsed URL: never userinfo, path or query. */
const originOf = (url: URL): string => `${url.protocol}//${url.host}`

/**
 * A check of final request URLs against `baseUrl`'s origin: `undefined` when the URL may be sent,
 * else why not. URLs written with `baseUrl`'s own scheme and authority take a string comparison;
 * others are parsed.
 *
 * @since 0.1.0
 * @internal
 */
export const makeGuard = (baseUrl: string): (url: string) => RefusedUrl | undefined => {
  const allowed = originOf(new URL(baseUrl))
  const literal = LITERAL_ORIGIN.exec(baseUrl)?.[0]
  return (url) => {
    if (literal !== undefined && url.startsWith(literal)) {
      const next = url[literal.length]
      if (next === undefined || next === "/" || next === "?" || next === "#") return undefined
    }
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return new RefusedUrl({ reason: "Unparsable", origin: SCHEME.exec(url)?.[0] ?? "(no scheme)", allowed })
    }
    const origin = originOf(parsed)
    if (parsed.username !== "" || parsed.password !== "") return new RefusedUrl({ reason: "Credentials", origin, allowed })
    return origin === allowed ? undefined : new RefusedUrl({ reason: "ForeignOrigin", origin, allowed })
  }
}
