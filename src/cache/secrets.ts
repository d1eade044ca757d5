/**
 * Known secrets in a response: a response whose headers or body contain a secret the cache was told
 * about (the client's token, echoed back by a debug endpoint, an OAuth exchange, a "who am I") is never
 * stored, in any form: storing it redacted would hand other readers of the store a corrupted body.
 *
 * @since 0.1.0
 * @internal
 */
import type { Redacted } from "effect"
import { encodedForms, secretString } from "../internal/secretForms.js"

/** The forms (raw, URL-encoded, JSON-escaped) to search for; empty secrets are ignored. */
export const secretFormsOf = (secrets: ReadonlyArray<string | Redacted.Redacted<string>>): ReadonlyArray<string> =>
  Array.from(new Set(secrets.flatMap((s) => encodedForms(secretString(s)))))

/** Whether any header name or value, or the body (as UTF-8 bytes), contains one of `forms`. */
export const containsSecret = (
  forms: ReadonlyArray<string>,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array
): boolean => {
  if (forms.length === 0) return false
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  for (const form of forms) {
    if (bytes.indexOf(form, 0, "utf8") >= 0) return true
    for (const [name, value] of Object.entries(headers)) {
      if (name.includes(form) || value.includes(form)) return true
    }
  }
  return false
}
