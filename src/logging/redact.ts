/**
 * Pure redaction: headers, URLs, free text, JSON bodies and arbitrary values.
 *
 * Everything here is a plain function of its inputs (no Effect, no clock). A {@link Redactor}
 * bundles the compiled rules and the mask style; the module-level functions are dual
 * (`redactText(text, redactor)` or `redactText(redactor)(text)`).
 *
 * How a string is redacted: every region to hide is found on the ORIGINAL string first (known
 * secrets and their URL/JSON-encoded forms, pattern matches, structural values such as a query
 * parameter or a header credential), overlapping regions are merged, and each merged region is
 * replaced once. Masks are therefore never re-scanned (a hash stays a hash), and a partial mask
 * never reveals characters of a known secret that its own mask would hide.
 *
 * Values found through a rule (a sensitive header, query parameter or JSON key, a `Redacted`)
 * are "learned" for the rest of the same call: if the same value appears elsewhere in the
 * structure (in a message, a path, an error), it is masked there too.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import { Duration, Redacted } from "effect"
import { dual } from "effect/Function"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"
import { encodedForms, secretString } from "../internal/secretForms.js"

// ---------------------------------------------------------------------------------------------
// Rules and options
// ---------------------------------------------------------------------------------------------

/**
 * How a hidden value is rendered.
 * - `full`: `[REDACTED]`
 * - `partial`: first 4 and last 4 characters (`sk-p…Wx9z`) when the value has at least
 *   {@link PARTIAL_MIN_LENGTH} characters (so at most a quarter is shown), otherwise `[REDACTED]`
 * - `hash`: `[sha256:1a2b3c4d]`, the first 8 hex digits of a salted SHA-256: equal values get
 *   equal fingerprints (within one salt), so lines can be correlated without revealing the value
 *
 * @since 0.1.0
 */
export type MaskStyle = "full" | "partial" | "hash"

/**
 * Every mask style, in documentation order.
 *
 * @since 0.1.0
 */
export const maskStyles: ReadonlyArray<MaskStyle> = ["full", "partial", "hash"]

/**
 * The text of a full mask.
 *
 * @since 0.1.0
 */
export const REDACTED = "[REDACTED]"

/**
 * Shortest value that `partial` masking shows 4 + 4 characters of; shorter values are fully
 * masked. 8 of 32 characters is at most 25% of the value.
 *
 * @since 0.1.0
 */
export const PARTIAL_MIN_LENGTH = 32

/**
 * Values found through a rule are masked everywhere else in the same call only when they have at
 * least this many characters (masking every `"1"` after a one-character password would destroy
 * the log line and reveal the password by its absence).
 *
 * @since 0.1.0
 */
export const LEARN_MIN_LENGTH = 6

/**
 * What to hide.
 *
 * @since 0.1.0
 */
export interface RedactionRules {
  /** Header names (case-insensitive, exact) whose values are hidden. */
  readonly headers: ReadonlyArray<string>
  /** A header whose lower-cased name contains one of these is hidden too. */
  readonly headerSubstrings: ReadonlyArray<string>
  /** URL query (and fragment) parameter names (case-insensitive, exact) whose values are hidden. */
  readonly queryParams: ReadonlyArray<string>
  /** Object / JSON body keys (case-insensitive, exact) whose values are hidden wherever they occur. */
  readonly jsonKeys: ReadonlyArray<string>
  /**
   * Patterns over free text. A named group `secret` selects the part to hide; without it the
   * whole match is hidden. Flags are kept; `g` and `d` are added.
   */
  readonly patterns: ReadonlyArray<RegExp>
  /** Known secret values, hidden wherever they occur (also URL- and JSON-encoded). */
  readonly secrets: ReadonlyArray<string | Redacted.Redacted<string>>
}

/**
 * Default header names hidden: the credential request headers the response cache partitions by,
 * plus `Set-Cookie`, their response-side counterpart.
 *
 * @since 0.1.0
 */
export const defaultHeaders: ReadonlyArray<string> = [...CREDENTIAL_HEADERS, "set-cookie"]

/**
 * A header is hidden when its name contains one of these.
 *
 * @since 0.1.0
 */
export const defaultHeaderSubstrings: ReadonlyArray<string> = [
  "token",
  "secret",
  "password",
  "apikey",
  "api-key",
  "credential",
  "signature",
  "session"
]

/**
 * Default query parameter names hidden.
 *
 * @since 0.1.0
 */
export const defaultQueryParams: ReadonlyArray<string> = [
  "token",
  "key",
  "api_key",
  "apikey",
  "api-key",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "auth_token",
  "private_token",
  "client_secret",
  "password",
  "passwd",
  "pwd",
  "secret",
  "signature",
  "sig",
  "code",
  "session",
  "sessionid",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token"
]

/**
 * Default object / JSON keys hidden.
 *
 * @since 0.1.0
 */
export const defaultJsonKeys: ReadonlyArray<string> = [
  "password",
  "passwd",
  "pwd",
  "secret",
  "client_secret",
  "clientsecret",
  "token",
  "access_token",
  "accesstoken",
  "refresh_token",
  "refreshtoken",
  "id_token",
  "api_key",
  "apikey",
  "api-key",
  "private_key",
  "privatekey",
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
  "credentials",
  "signature"
]

/**
 * Default patterns: bearer / basic credentials, common API key shapes, JWTs, PEM private keys
 * and URL userinfo. Rule-derived patterns (`name=value`, `"name": "value"`, `Header: value`)
 * are added from the name lists, so custom names are covered in free text too.
 *
 * @since 0.1.0
 */
export const defaultPatterns: ReadonlyArray<RegExp> = [
  /\bBearer\s+(?<secret>[^\s"'<>,;]+)/gi,
  /\bBasic\s+(?<secret>[A-Za-z0-9+/]{8,}={0,2})/g,
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // Userinfo after any `scheme://`, even glued to other text (`…:8080http://user:pw@host`). The scheme
  // is checked by a lookbehind at each `://` only: a leading `[a-zA-Z]…` without `\b` would rescan
  // every long run of letters from each of its positions.
  /:\/\/(?<=[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)(?<secret>[^\s/?#@"'<>]+)@/g
]

/**
 * The default rules.
 *
 * @since 0.1.0
 */
export const defaultRules: RedactionRules = {
  headers: defaultHeaders,
  headerSubstrings: defaultHeaderSubstrings,
  queryParams: defaultQueryParams,
  jsonKeys: defaultJsonKeys,
  patterns: defaultPatterns,
  secrets: []
}

/**
 * Options of {@link makeRedactor}.
 *
 * @since 0.1.0
 */
export interface RedactorOptions {
  /** Rules added to the defaults (or replacing them with `replaceDefaults: true`). */
  readonly rules?: Partial<RedactionRules> | undefined
  /** When true, each list given in `rules` replaces the default list instead of extending it. */
  readonly replaceDefaults?: boolean | undefined
  /** Default `"full"`. */
  readonly mask?: MaskStyle | undefined
  /** Salt of the `hash` mask. Default: random per process (fingerprints correlate within a run). */
  readonly salt?: string | Redacted.Redacted<string> | undefined
}

/**
 * Compiled rules plus a mask style. Build with {@link makeRedactor}.
 *
 * @since 0.1.0
 */
export interface Redactor {
  readonly mask: MaskStyle
  readonly rules: RedactionRules
  /** Masks one whole value with the configured style. */
  readonly maskValue: (value: string) => string
  readonly redactText: (text: string) => string
  readonly redactUrl: (url: string | URL) => string
  readonly redactHeaders: <H extends HeadersInput>(headers: H) => RedactedHeaders<H>
  readonly redactJson: (json: string) => string
  readonly redactValue: (value: unknown) => unknown
  /**
   * Redacts several values in one call, so a value learned in one (a sensitive header) is masked
   * in all; returns the learned secrets too (for a last pass over formatted output).
   */
  readonly redactRecord: (values: ReadonlyArray<unknown>) => {
    readonly values: Array<unknown>
    readonly learned: Array<string>
  }
  /** Masks only known secrets (configured plus `extra`) and their encoded forms; no patterns. */
  readonly maskKnown: (text: string, extra?: ReadonlyArray<string>) => string
  /** A redactor with more known secrets (same rules, mask and salt). */
  readonly withSecrets: (secrets: Iterable<string | Redacted.Redacted<string>>) => Redactor
  /** A redactor with another mask style (same rules and salt). */
  readonly withMask: (mask: MaskStyle) => Redactor
  /** @internal */
  readonly compiled: Compiled
}

/**
 * Header collections accepted by `redactHeaders`: a record (platform `Headers`, node
 * `IncomingHttpHeaders`, plain objects) with string, string-array or undefined values.
 *
 * @since 0.1.0
 */
export type HeadersInput = { readonly [name: string]: string | ReadonlyArray<string> | undefined }

/**
 * The result type of `redactHeaders`: string keys with the same value shapes.
 *
 * @since 0.1.0
 */
export type RedactedHeaders<H extends HeadersInput> = {
  readonly [K in keyof H & string]: H[K]
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

interface Compiled {
  readonly headers: ReadonlySet<string>
  readonly headerSubstrings: ReadonlyArray<string>
  readonly queryParams: ReadonlySet<string>
  readonly jsonKeys: ReadonlySet<string>
  readonly patterns: ReadonlyArray<RegExp>
  /** Known secrets: original value by every encoded form to look for. */
  readonly secretForms: ReadonlyMap<string, string>
  readonly salt: string
}

const processSalt = randomBytes(16).toString("hex")

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const lower = (xs: ReadonlyArray<string>): Array<string> => xs.map((x) => x.toLowerCase()).filter((x) => x.length > 0)

const withFlags = (re: RegExp): RegExp => {
  let flags = re.flags
  if (!flags.includes("g")) flags += "g"
  if (!flags.includes("d")) flags += "d"
  return new RegExp(re.source, flags)
}

const addSecretForms = (into: Map<string, string>, secret: string): void => {
  if (secret.length === 0) return
  for (const form of encodedForms(secret)) {
    if (!into.has(form)) into.set(form, secret)
  }
}

const derivedPatterns = (names: ReadonlyArray<string>, headerNames: ReadonlyArray<string>): Array<RegExp> => {
  const out: Array<RegExp> = []
  if (names.length > 0) {
    const alt = names.map(escapeRegExp).join("|")
    // name=value in text, query strings embedded in messages, form bodies
    out.push(new RegExp(`(?<![A-Za-z0-9])(?:${alt})=(?<secret>[^\\s&"'<>,;#]+)`, "gi"))
    // "name": "value" in JSON-looking text
    out.push(new RegExp(`"(?:${alt})"\\s*:\\s*"(?<secret>(?:[^"\\\\]|\\\\.)*)"`, "gi"))
  }
  if (headerNames.length > 0) {
    const alt = headerNames.map(escapeRegExp).join("|")
    // "Header-Name: value" lines (raw HTTP dumps, curl -v output)
    out.push(new RegExp(`(?<![A-Za-z0-9-])(?:${alt}):[ \\t]*(?<secret>[^\\r\\n"]+)`, "gi"))
  }
  return out.map(withFlags)
}

const compile = (rules: RedactionRules, salt: string): Compiled => {
  const headers = lower(rules.headers)
  const queryParams = lower(rules.queryParams)
  const jsonKeys = lower(rules.jsonKeys)
  const kvNames = Array.from(new Set([...queryParams, ...jsonKeys]))
  const secretForms = new Map<string, string>()
  for (const s of rules.secrets) addSecretForms(secretForms, secretString(s))
  return {
    headers: new Set(headers),
    headerSubstrings: lower(rules.headerSubstrings),
    queryParams: new Set(queryParams),
    jsonKeys: new Set(jsonKeys),
    patterns: [...rules.patterns.map(withFlags), ...derivedPatterns(kvNames, headers)],
    secretForms,
    salt
  }
}

// ---------------------------------------------------------------------------------------------
// Masks
// ---------------------------------------------------------------------------------------------

/**
 * Masks a whole value with a style. `salt` is only used by `hash`.
 *
 * @since 0.1.0
 */
export const maskWith = (value: string, style: MaskStyle, salt: string = processSalt): string => {
  switch (style) {
    case "full":
      return REDACTED
    case "partial": {
      const chars = Array.from(value) // code points, so a surrogate pair is never split
      return chars.length >= PARTIAL_MIN_LENGTH
        ? `${chars.slice(0, 4).join("")}…${chars.slice(-4).join("")}`
        : REDACTED
    }
    case "hash":
      return `[sha256:${createHash("sha256").update(salt).update("\u0000").update(value).digest("hex").slice(0, 8)}]`
  }
}

// ---------------------------------------------------------------------------------------------
// One redaction call: known + learned secrets, region finding, merging
// ---------------------------------------------------------------------------------------------

interface Ctx {
  readonly compiled: Compiled
  readonly mask: MaskStyle
  /** Known secrets of this call (compiled ones plus learned ones). */
  readonly forms: Map<string, string>
  /** Newly learned during this pass. */
  learned: boolean
}

const newCtx = (compiled: Compiled, mask: MaskStyle): Ctx => ({
  compiled,
  mask,
  forms: new Map(compiled.secretForms),
  learned: false
})

/** Output of a mask: redacting twice must not re-mask (a hash must stay the same hash). */
const MASK_SHAPE = /^(?:\[REDACTED\]|\[sha256:[0-9a-f]{8}\]|[^…]{4}…[^…]{4})$/u

/**
 * True for the text of a mask (`[REDACTED]`, `[sha256:…]`, `abcd…wxyz`).
 *
 * @since 0.1.0
 */
export const isMask = (s: string): boolean => MASK_SHAPE.test(s)

const learn = (ctx: Ctx, value: string): void => {
  if (value.length < LEARN_MIN_LENGTH || ctx.forms.has(value) || isMask(value)) return
  addSecretForms(ctx.forms, value)
  ctx.learned = true
}

const containsKnown = (ctx: Ctx, text: string): boolean => {
  for (const form of ctx.forms.keys()) {
    if (text.includes(form)) return true
  }
  return false
}

/** Masks a value found by a rule: a known secret gets its own mask; a value containing one is never partially shown. */
const maskWhole = (ctx: Ctx, value: string): string => {
  if (isMask(value)) return value
  const original = ctx.forms.get(value)
  if (original !== undefined) return maskWith(original, ctx.mask, ctx.compiled.salt)
  if (ctx.mask === "partial" && containsKnown(ctx, value)) return REDACTED
  return maskWith(value, ctx.mask, ctx.compiled.salt)
}

interface Region {
  readonly start: number
  readonly end: number
  /** The value the mask is computed from (a decoded query value, the original of an encoded secret…). */
  readonly source: string
  readonly known: boolean
}

const findKnown = (ctx: Ctx, text: string, out: Array<Region>): void => {
  for (const [form, original] of ctx.forms) {
    let from = 0
    for (;;) {
      const at = text.indexOf(form, from)
      if (at < 0) break
      out.push({ start: at, end: at + form.length, source: original, known: true })
      from = at + 1
    }
  }
}

const findPatterns = (ctx: Ctx, text: string, out: Array<Region>): void => {
  for (const pattern of ctx.compiled.patterns) {
    pattern.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = pattern.exec(text)) !== null) {
      if (m[0].length === 0) {
        pattern.lastIndex++
        continue
      }
      const span = m.indices?.groups?.["secret"] ?? m.indices?.[0]
      if (span !== undefined && span[1] > span[0] && !isMask(text.slice(span[0], span[1]))) {
        out.push({ start: span[0], end: span[1], source: text.slice(span[0], span[1]), known: false })
      }
    }
  }
}

/**
 * Replaces every region (plus known secrets and pattern matches found on `text`) by its mask.
 * Overlapping regions are merged and masked once.
 */
const applyRegions = (ctx: Ctx, text: string, structural: Array<Region>): string => {
  if (text.length === 0) return text
  const regions = structural.slice()
  findKnown(ctx, text, regions)
  findPatterns(ctx, text, regions)
  if (regions.length === 0) return text
  regions.sort((a, b) => a.start - b.start || b.end - a.end)
  let out = ""
  let cursor = 0
  let i = 0
  while (i < regions.length) {
    const first = regions[i]!
    let end = first.end
    let j = i + 1
    let anyKnown = first.known
    while (j < regions.length && regions[j]!.start < end) {
      end = Math.max(end, regions[j]!.end)
      anyKnown = anyKnown || regions[j]!.known
      j++
    }
    const single = j === i + 1 || regions.slice(i, j).every((r) => r.start === first.start && r.end === first.end)
    out += text.slice(cursor, first.start)
    if (single) {
      // Equal spans (a secret that is also a pattern match): prefer the known secret's mask.
      const known = regions.slice(i, j).find((r) => r.known)
      out += known !== undefined ? maskWith(known.source, ctx.mask, ctx.compiled.salt) : maskWhole(ctx, first.source)
    } else {
      const merged = text.slice(first.start, end)
      out += ctx.mask === "partial" && (anyKnown || containsKnown(ctx, merged))
        ? REDACTED
        : maskWhole(ctx, merged)
    }
    cursor = end
    i = j
  }
  return out + text.slice(cursor)
}

// ---------------------------------------------------------------------------------------------
// Structural: URLs, headers
// ---------------------------------------------------------------------------------------------

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s]*$/

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

const urlRegions = (ctx: Ctx, url: string): Array<Region> => {
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

const AUTH_SCHEME = /^(\s*[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*\s+)(\S.*)$/s

const isSensitiveHeader = (compiled: Compiled, name: string): boolean => {
  const n = name.toLowerCase()
  return compiled.headers.has(n) || compiled.headerSubstrings.some((s) => n.includes(s))
}

const headerValueRegions = (ctx: Ctx, name: string, value: string): Array<Region> => {
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

// ---------------------------------------------------------------------------------------------
// Traversal
// ---------------------------------------------------------------------------------------------

const MAX_DEPTH = 64

const isPlainish = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === null || proto === Object.prototype
}

const hasToJSON = (u: object): u is { toJSON: () => unknown } =>
  "toJSON" in u && typeof (u as { toJSON?: unknown }).toJSON === "function" &&
  (u as { toJSON: (...args: Array<unknown>) => unknown }).toJSON.length === 0

const stringOf = (ctx: Ctx, s: string): string =>
  applyRegions(ctx, s, URL_LIKE.test(s) ? urlRegions(ctx, s) : [])

/** Masks the value of a sensitive key wholesale. */
const maskAny = (ctx: Ctx, value: unknown): unknown => {
  if (value === undefined || value === null) return value
  if (Redacted.isRedacted(value)) return maskRedacted(ctx, value)
  if (typeof value === "string") {
    if (value.length === 0) return value
    learn(ctx, value)
    return maskWhole(ctx, value)
  }
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return maskWhole(ctx, String(value))
  }
  return ctx.mask === "hash" ? maskWhole(ctx, safeStringify(value)) : REDACTED
}

const safeStringify = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const maskRedacted = (ctx: Ctx, r: Redacted.Redacted<unknown>): string => {
  const inner = Redacted.value(r)
  if (typeof inner === "string") {
    learn(ctx, inner)
    return inner.length === 0 ? REDACTED : maskWhole(ctx, inner)
  }
  return ctx.mask === "hash" ? maskWhole(ctx, safeStringify(inner)) : REDACTED
}

const isSensitiveKey = (ctx: Ctx, key: string): boolean => {
  const k = key.toLowerCase()
  return ctx.compiled.jsonKeys.has(k) || ctx.compiled.headers.has(k)
}

const isHeadersKey = (key: string): boolean => /^(?:request|response)?[_-]?headers$/i.test(key)

/**
 * An Error rebuilt with redacted message, stack, cause and own fields. Its `name` and `_tag`
 * (when a string) are kept so formatters render it the same way.
 */
const redactError = (ctx: Ctx, e: Error, seen: WeakMap<object, unknown>, depth: number): Error => {
  const out = new Error(stringOf(ctx, safeMessage(e)))
  seen.set(e, out)
  out.name = typeof e.name === "string" ? stringOf(ctx, e.name) : "Error"
  out.stack = typeof e.stack === "string" ? stringOf(ctx, e.stack) : `${out.name}: ${out.message}`
  for (const key of Object.keys(e)) {
    if (key === "message" || key === "stack" || key === "name") continue
    const v = (e as unknown as Record<string, unknown>)[key]
    ;(out as unknown as Record<string, unknown>)[key] = isSensitiveKey(ctx, key)
      ? maskAny(ctx, v)
      : go(ctx, v, seen, depth + 1)
  }
  if ("cause" in e && e.cause !== undefined) {
    Object.defineProperty(out, "cause", {
      value: go(ctx, e.cause, seen, depth + 1),
      enumerable: false,
      writable: true,
      configurable: true
    })
  }
  return out
}

const safeMessage = (e: Error): string => {
  try {
    return typeof e.message === "string" ? e.message : String(e.message)
  } catch {
    return "[message threw]"
  }
}

const go = (ctx: Ctx, value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown => {
  switch (typeof value) {
    case "string":
      return stringOf(ctx, value)
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
    case "symbol":
      return value
    case "function":
      return value
  }
  if (value === null) return value
  const obj = value as object
  if (Redacted.isRedacted(obj)) return maskRedacted(ctx, obj)
  const prior = seen.get(obj)
  if (prior !== undefined) return prior === IN_PROGRESS ? "[Circular]" : prior
  if (depth > MAX_DEPTH) return "[MaxDepth]"
  if (obj instanceof Date || Duration.isDuration(obj)) return obj
  if (obj instanceof Error) return redactError(ctx, obj, seen, depth)
  seen.set(obj, IN_PROGRESS)
  let out: unknown
  if (Array.isArray(obj)) {
    out = obj.map((x) => go(ctx, x, seen, depth + 1))
  } else if (obj instanceof Map) {
    const m = new Map<unknown, unknown>()
    for (const [k, v] of obj) {
      m.set(
        go(ctx, k, seen, depth + 1),
        typeof k === "string" && isSensitiveKey(ctx, k) ? maskAny(ctx, v) : go(ctx, v, seen, depth + 1)
      )
    }
    out = m
  } else if (obj instanceof Set) {
    out = new Set(Array.from(obj, (x) => go(ctx, x, seen, depth + 1)))
  } else if (!isPlainish(obj) && hasToJSON(obj)) {
    let json: unknown
    try {
      json = obj.toJSON()
    } catch {
      json = "[toJSON threw]"
    }
    out = json === obj ? "[Unserializable]" : go(ctx, json, seen, depth + 1)
  } else {
    const rec: Record<string, unknown> = {}
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key]
      if (typeof v === "string" && ctx.compiled.headers.has(key.toLowerCase())) {
        // a header-named field (`authorization: "Bearer …"`) keeps its scheme / cookie names
        rec[key] = applyRegions(ctx, v, headerValueRegions(ctx, key, v))
      } else if (isSensitiveKey(ctx, key)) rec[key] = maskAny(ctx, v)
      else if (isHeadersKey(key) && v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map)) {
        rec[key] = headersOf(ctx, v as HeadersInput)
      } else rec[key] = go(ctx, v, seen, depth + 1)
    }
    out = rec
  }
  seen.set(obj, out)
  return out
}

const IN_PROGRESS = Symbol("in-progress")

const headersOf = (ctx: Ctx, headers: HeadersInput): Record<string, string | ReadonlyArray<string> | undefined> => {
  const out: Record<string, string | ReadonlyArray<string> | undefined> = {}
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) out[name] = v
    else if (typeof v === "string") out[name] = applyRegions(ctx, v, headerValueRegions(ctx, name, v))
    else if (Array.isArray(v)) {
      out[name] = (v as ReadonlyArray<unknown>).map((x) =>
        typeof x === "string" ? applyRegions(ctx, x, headerValueRegions(ctx, name, x)) : maskAny(ctx, x) as string
      )
    } else out[name] = maskAny(ctx, v) as string
  }
  return out
}

/**
 * Runs `f` once; if it learned new secrets (a value under a sensitive name that may appear
 * elsewhere in the same input), runs it again so every occurrence is masked.
 */
const twoPass = <A>(compiled: Compiled, mask: MaskStyle, f: (ctx: Ctx) => A): A => {
  const ctx = newCtx(compiled, mask)
  const first = f(ctx)
  if (!ctx.learned) return first
  ctx.learned = false
  return f(ctx)
}

// ---------------------------------------------------------------------------------------------
// Redactor
// ---------------------------------------------------------------------------------------------

const mergeRules = (given: Partial<RedactionRules> | undefined, replace: boolean): RedactionRules => {
  const pick = <K extends keyof RedactionRules>(k: K): RedactionRules[K] => {
    const g = given?.[k]
    if (g === undefined) return defaultRules[k]
    return (replace ? g : [...defaultRules[k], ...g]) as RedactionRules[K]
  }
  return {
    headers: pick("headers"),
    headerSubstrings: pick("headerSubstrings"),
    queryParams: pick("queryParams"),
    jsonKeys: pick("jsonKeys"),
    patterns: pick("patterns"),
    secrets: pick("secrets")
  }
}

const build = (rules: RedactionRules, mask: MaskStyle, salt: string): Redactor => {
  const compiled = compile(rules, salt)
  const knownOnly: Compiled = { ...compiled, patterns: [] }
  const self: Redactor = {
    mask,
    rules,
    compiled,
    maskValue: (value) => twoPass(compiled, mask, (ctx) => maskWhole(ctx, value)),
    redactText: (text) => twoPass(compiled, mask, (ctx) => applyRegions(ctx, text, [])),
    redactUrl: (url) => {
      const s = typeof url === "string" ? url : url.href
      return twoPass(compiled, mask, (ctx) => applyRegions(ctx, s, urlRegions(ctx, s)))
    },
    redactHeaders: <H extends HeadersInput>(headers: H) =>
      twoPass(compiled, mask, (ctx) => headersOf(ctx, headers)) as unknown as RedactedHeaders<H>,
    redactJson: (json) => {
      let parsed: unknown
      try {
        parsed = JSON.parse(json)
      } catch {
        return self.redactText(json)
      }
      return JSON.stringify(self.redactValue(parsed))
    },
    redactValue: (value) => twoPass(compiled, mask, (ctx) => go(ctx, value, new WeakMap(), 0)),
    redactRecord: (values) => {
      const ctx = newCtx(compiled, mask)
      let out = values.map((v) => go(ctx, v, new WeakMap(), 0))
      if (ctx.learned) out = values.map((v) => go(ctx, v, new WeakMap(), 0))
      const learned: Array<string> = []
      for (const [form, original] of ctx.forms) {
        if (form === original && !compiled.secretForms.has(form)) learned.push(form)
      }
      return { values: out, learned }
    },
    maskKnown: (text, extra = []) => {
      const ctx = newCtx(knownOnly, mask)
      for (const s of extra) addSecretForms(ctx.forms, s)
      return ctx.forms.size === 0 ? text : applyRegions(ctx, text, [])
    },
    withSecrets: (secrets) => build({ ...rules, secrets: [...rules.secrets, ...secrets] }, mask, salt),
    withMask: (m) => build(rules, m, salt)
  }
  return self
}

/**
 * Builds a redactor. Total: empty secrets are ignored (there is nothing to hide), patterns that
 * match the empty string only hide non-empty matches.
 *
 * @example
 * ```ts
 * import { Redaction } from "effect-governor"
 * const r = Redaction.makeRedactor({ mask: "hash", rules: { queryParams: ["sessionKey"] } })
 * r.redactUrl("https://api.example.com/x?sessionKey=abc123456") // ...?sessionKey=[sha256:…]
 * ```
 * @since 0.1.0
 */
export const makeRedactor = (options: RedactorOptions = {}): Redactor => {
  const salt = options.salt === undefined ? processSalt : secretString(options.salt)
  return build(mergeRules(options.rules, options.replaceDefaults === true), options.mask ?? "full", salt)
}

/**
 * The redactor with the default rules and the `full` mask.
 *
 * @since 0.1.0
 */
export const defaultRedactor: Redactor = makeRedactor()

/**
 * Hides known secrets and pattern matches in free text.
 *
 * @since 0.1.0
 */
export const redactText: {
  (redactor: Redactor): (text: string) => string
  (text: string, redactor: Redactor): string
} = dual(2, (text: string, redactor: Redactor): string => redactor.redactText(text))

/**
 * Hides URL userinfo and sensitive query / fragment parameters (by name), then known secrets and
 * pattern matches anywhere in the URL. The rest of the URL is kept byte for byte.
 *
 * @since 0.1.0
 */
export const redactUrl: {
  (redactor: Redactor): (url: string | URL) => string
  (url: string | URL, redactor: Redactor): string
} = dual(2, (url: string | URL, redactor: Redactor): string => redactor.redactUrl(url))

/**
 * Hides the values of sensitive headers (by name; cookie names and the auth scheme are kept) and
 * known secrets / pattern matches in every other header value.
 *
 * @since 0.1.0
 */
export const redactHeaders: {
  (redactor: Redactor): <H extends HeadersInput>(headers: H) => RedactedHeaders<H>
  <H extends HeadersInput>(headers: H, redactor: Redactor): RedactedHeaders<H>
} = dual(2, <H extends HeadersInput>(headers: H, redactor: Redactor) => redactor.redactHeaders(headers))

/**
 * Redacts a JSON text: parsed, redacted as a value (sensitive keys at any depth), re-serialised
 * compactly. Text that is not JSON is redacted as free text.
 *
 * @since 0.1.0
 */
export const redactJson: {
  (redactor: Redactor): (json: string) => string
  (json: string, redactor: Redactor): string
} = dual(2, (json: string, redactor: Redactor): string => redactor.redactJson(json))

/**
 * Redacts any value, deeply: strings (URLs get URL rules), arrays, plain objects (sensitive keys
 * masked whole; `headers` objects get header rules), Maps, Sets, Errors (message, stack, fields,
 * cause), objects with `toJSON` (Effect data types), and `Redacted` values anywhere. Cycles become
 * `"[Circular]"`. The input is never mutated.
 *
 * @since 0.1.0
 */
export const redactValue: {
  (redactor: Redactor): (value: unknown) => unknown
  (value: unknown, redactor: Redactor): unknown
} = dual(2, (value: unknown, redactor: Redactor): unknown => redactor.redactValue(value))
