/**
 * The forms a known secret takes once embedded in text: raw, URL-encoded and JSON-escaped. The
 * logger masks each of them; the response cache refuses to store a response containing any.
 *
 * @since 0.1.0
 * @internal
 */
import { Redacted } from "effect"

/** @internal */
export const secretString = (s: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(s) ? Redacted.value(s) : s

/** The forms a secret takes once embedded in a URL or a JSON string (never empty strings). */
export const encodedForms = (secret: string): Array<string> => {
  const forms = new Set<string>([secret])
  try {
    forms.add(encodeURIComponent(secret))
    forms.add(encodeURIComponent(secret).replace(/%20/g, "+"))
    forms.add(encodeURI(secret))
  } catch {
    // lone surrogates cannot be URI-encoded; the raw form is still matched
  }
  forms.add(JSON.stringify(secret).slice(1, -1))
  return Array.from(forms).filter((f) => f.length > 0)
}
