/**
 * Mask styles and the mask of one value: what a hidden value is rendered as.
 *
 * @since 0.1.0
 * @internal
 */
import { createHash, randomBytes } from "node:crypto"

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

/** Salt of the `hash` mask when none is given: random per process. */
export const processSalt = randomBytes(16).toString("hex")

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

/** Output of a mask: redacting twice must not re-mask (a hash must stay the same hash). */
const MASK_SHAPE = /^(?:\[REDACTED\]|\[sha256:[0-9a-f]{8}\]|[^…]{4}…[^…]{4})$/u

/**
 * True for the text of a mask (`[REDACTED]`, `[sha256:…]`, `abcd…wxyz`).
 *
 * @since 0.1.0
 */
export const isMask = (s: string): boolean => MASK_SHAPE.test(s)
