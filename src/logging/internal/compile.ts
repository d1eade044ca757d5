/**
 * Rules compiled for matching: lower-cased name sets, patterns with the `g` and `d` flags (plus
 * the ones derived from the name lists), and every encoded form of the known secrets.
 *
 * @since 0.1.0
 * @internal
 */
import { encodedForms, secretString } from "../../internal/secretForms.js"
import type { RedactionRules } from "../redact.js"

export interface Compiled {
  readonly headers: ReadonlySet<string>
  readonly headerSubstrings: ReadonlyArray<string>
  readonly queryParams: ReadonlySet<string>
  readonly jsonKeys: ReadonlySet<string>
  readonly patterns: ReadonlyArray<RegExp>
  /** Known secrets: original value by every encoded form to look for. */
  readonly secretForms: ReadonlyMap<string, string>
  readonly salt: string
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const lower = (xs: ReadonlyArray<string>): Array<string> => xs.map((x) => x.toLowerCase()).filter((x) => x.length > 0)

const withFlags = (re: RegExp): RegExp => {
  let flags = re.flags
  if (!flags.includes("g")) flags += "g"
  if (!flags.includes("d")) flags += "d"
  return new RegExp(re.source, flags)
}

export const addSecretForms = (into: Map<string, string>, secret: string): void => {
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

export const compile = (rules: RedactionRules, salt: string): Compiled => {
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
