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

import { dual } from "effect/Function"
import type { Redacted } from "effect"
import { secretString } from "../internal/secretForms.js"
import { addSecretForms, compile, type Compiled } from "./internal/compile.js"
import { maskWhole, newCtx, twoPass } from "./internal/context.js"
import { defaultHeaders, defaultHeaderSubstrings, defaultJsonKeys, defaultPatterns, defaultQueryParams } from "./internal/defaults.js"
import { type MaskStyle, processSalt } from "./internal/mask.js"
import { applyRegions } from "./internal/regions.js"
import { go, headersOf } from "./internal/traverse.js"
import { urlRegions } from "./internal/urlRegions.js"

export { LEARN_MIN_LENGTH } from "./internal/context.js"
export { defaultHeaders, defaultHeaderSubstrings, defaultJsonKeys, defaultPatterns, defaultQueryParams } from "./internal/defaults.js"
export { isMask, type MaskStyle, maskStyles, maskWith, PARTIAL_MIN_LENGTH, REDACTED } from "./internal/mask.js"

// ---------------------------------------------------------------------------------------------
// Rules and options
// ---------------------------------------------------------------------------------------------

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
