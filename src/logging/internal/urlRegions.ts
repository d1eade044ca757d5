/**
 * The structural regions of a URL: userinfo and sensitive query / fragment parameters.
 *
 * @since 0.1.0
 * @internal
 */
import { type Ctx, learn } from "./context.js"
import type { Region } from "./regions.js"

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s]*$/

/** Regions of sensitive `name=value` pairs in a query string or fragment starting at `offset`. */
const paramRegions = (ctx: Ctx, params: string, offset: number, out: Array<Region>): void => {
  let pos = 0
  for (const part of params.split("&")) {
    const eq = part.indexOf("=")
    if (eq > 0) {
      const name = safeDecode(part.slice(0, eq).replace(/\+/g, " ")).trim().toLowerCase()
      const raw = part.slice(eq + 1)
      if (raw.length > 0 && ctx.compiled.queryParams.has(name)) {
        const value = safeDecode(raw.replace(/\+/g, " "))
        learn(ctx, value)
        out.push({ start: offset + pos + eq + 1, end: offset + pos + part.length, source: value, known: false })
      }
    }
    pos += part.length + 1
  }
}

export const urlRegions = (ctx: Ctx, url: string): Array<Region> => {
  const out: Array<Region> = []
  const hashAt = url.indexOf("#")
  const main = hashAt >= 0 ? url.slice(0, hashAt) : url
  const queryAt = main.indexOf("?")
  const base = queryAt >= 0 ? main.slice(0, queryAt) : main
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(base)
  if (authority !== null) {
    const authStart = authority[0].length - authority[1]!.length
    const at = authority[1]!.lastIndexOf("@")
    if (at >= 0) {
      const userinfo = authority[1]!.slice(0, at)
      const colon = userinfo.indexOf(":")
      const parts = colon >= 0
        ? [[0, colon], [colon + 1, userinfo.length]] as const
        : [[0, userinfo.length]] as const
      for (const [s, e] of parts) {
        if (e > s) {
          const value = safeDecode(userinfo.slice(s, e))
          learn(ctx, value)
          out.push({ start: authStart + s, end: authStart + e, source: value, known: false })
        }
      }
    }
  }
  if (queryAt >= 0) paramRegions(ctx, main.slice(queryAt + 1), queryAt + 1, out)
  if (hashAt >= 0) paramRegions(ctx, url.slice(hashAt + 1), hashAt + 1, out)
  return out
}
