/**
 * The structural regions of a header value: the whole value of a sensitive header, except the
 * auth scheme and cookie names, which stay readable.
 *
 * @since 0.1.0
 * @internal
 */
import type { Compiled } from "./compile.js"
import { type Ctx, learn } from "./context.js"
import type { Region } from "./regions.js"

const AUTH_SCHEME = /^(\s*[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*\s+)(\S.*)$/s

const isSensitiveHeader = (compiled: Compiled, name: string): boolean => {
  const n = name.toLowerCase()
  return compiled.headers.has(n) || compiled.headerSubstrings.some((s) => n.includes(s))
}

export const headerValueRegions = (ctx: Ctx, name: string, value: string): Array<Region> => {
  const n = name.toLowerCase()
  if (!isSensitiveHeader(ctx.compiled, n) || value.length === 0) return []
  const whole = (start: number, end: number): Region => {
    const source = value.slice(start, end)
    learn(ctx, source)
    return { start, end, source, known: false }
  }
  if (n === "cookie" || n === "set-cookie") {
    // Keep cookie names (and Set-Cookie attributes) readable; hide every cookie value.
    const out: Array<Region> = []
    let pos = 0
    const pairs = n === "cookie" ? value.split(";") : [value.split(";")[0]!]
    for (const pair of pairs) {
      const eq = pair.indexOf("=")
      const valueStart = eq >= 0 ? eq + 1 : 0
      const lead = pair.slice(valueStart).length - pair.slice(valueStart).trimStart().length
      const s = pos + valueStart + lead
      const e = pos + pair.trimEnd().length
      if (e > s) out.push(whole(s, e))
      pos += pair.length + 1
    }
    return out
  }
  if (n === "authorization" || n === "proxy-authorization") {
    const m = AUTH_SCHEME.exec(value)
    if (m !== null) return [whole(m[1]!.length, value.length)]
  }
  return [whole(0, value.length)]
}
