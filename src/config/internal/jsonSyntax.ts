/**
 * Locating a JSON syntax error ourselves. `JSON.parse`'s messages quote the text around the error
 * (`..."T-abcdef",]}" is not valid JSON`), which can be a secret, and differ between Node versions (some
 * give a position, some none), so the error shown to users is built from this scan alone: a position and a
 * reason in our own words, never any of the text.
 *
 * The scan follows RFC 8259 as `JSON.parse` does, and reports the same position `JSON.parse` does when it
 * gives one (checked by a property test).
 *
 * @since 0.1.0
 * @internal
 */
import { Cursor, Failure, isDigit, scanLiteral, scanNumber, scanString } from "./jsonTokens.js"

/** @internal */
export interface JsonSyntaxError {
  /** UTF-16 offset of the error (the text length for an early end). */
  readonly position: number
  /** What is wrong, without quoting the text. */
  readonly reason: string
  readonly line: number
  readonly column: number
}

/** A recursive-descent validator that throws a `Failure` at the first error. */
class Scanner extends Cursor {
  document(): void {
    this.space()
    this.value()
    this.space()
    if (this.i < this.text.length) this.fail("unexpected content after the end of the JSON value")
  }

  value(afterComma = false): void {
    const c = this.text[this.i]
    if (c === "{") return this.object()
    if (c === "[") return this.array()
    if (c === "\"") return scanString(this)
    if (c === "-" || isDigit(c)) return scanNumber(this)
    if (c === "t" || c === "f" || c === "n") return scanLiteral(this)
    if (c === "]" && afterComma) this.fail("trailing comma before ']'")
    this.unexpected("expected a value")
  }

  object(): void {
    this.i++
    this.space()
    if (this.text[this.i] === "}") {
      this.i++
      return
    }
    for (;;) {
      if (this.text[this.i] !== "\"") {
        if (this.text[this.i] === "}") this.fail("trailing comma before '}'")
        this.unexpected("expected a property name in double quotes")
      }
      scanString(this)
      this.space()
      if (this.text[this.i] !== ":") this.unexpected("expected ':' after a property name")
      this.i++
      this.space()
      this.value()
      this.space()
      const c = this.text[this.i]
      this.i++
      if (c === "}") return
      if (c !== ",") {
        this.i--
        this.unexpected("expected ',' or '}'")
      }
      this.space()
    }
  }

  array(): void {
    this.i++
    this.space()
    if (this.text[this.i] === "]") {
      this.i++
      return
    }
    for (let afterComma = false;; afterComma = true) {
      this.value(afterComma)
      this.space()
      const c = this.text[this.i]
      this.i++
      if (c === "]") return
      if (c !== ",") {
        this.i--
        this.unexpected("expected ',' or ']'")
      }
      this.space()
    }
  }
}

/**
 * 1-based line and column of a UTF-16 offset (`\n` ends a line; a `\r` before it belongs to the line).
 *
 * @internal
 */
export const lineColumn = (text: string, position: number): { readonly line: number; readonly column: number } => {
  let line = 1
  let lineStart = 0
  for (let k = 0; k < position && k < text.length; k++) {
    if (text[k] === "\n") {
      line++
      lineStart = k + 1
    }
  }
  return { line, column: position - lineStart + 1 }
}

/**
 * The first syntax error in `text`, or `undefined` when it is valid JSON (or nested too deeply to scan).
 *
 * @internal
 */
export const findJsonSyntaxError = (text: string): JsonSyntaxError | undefined => {
  try {
    new Scanner(text).document()
    return undefined
  } catch (error) {
    // Anything else is a stack overflow on absurd nesting: report no position rather than crash.
    if (!(error instanceof Failure)) return undefined
    return { position: error.position, reason: error.reason, ...lineColumn(text, error.position) }
  }
}
