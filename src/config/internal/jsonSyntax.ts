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

/** @internal */
export interface JsonSyntaxError {
  /** UTF-16 offset of the error (the text length for an early end). */
  readonly position: number
  /** What is wrong, without quoting the text. */
  readonly reason: string
  readonly line: number
  readonly column: number
}

class Failure {
  constructor(readonly position: number, readonly reason: string) {}
}

// Only structural characters are named in a reason: a letter or digit could be part of a secret.
const STRUCTURAL = new Set(["{", "}", "[", "]", ",", ":", "\""])

const ESCAPES = new Set(["\"", "\\", "/", "b", "f", "n", "r", "t"])

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c)

/** A recursive-descent validator that throws a `Failure` at the first error. */
class Scanner {
  i = 0
  constructor(readonly text: string) {}

  fail(reason: string, at = this.i): never {
    throw new Failure(at, reason)
  }

  unexpected(what: string): never {
    if (this.i >= this.text.length) this.fail("unexpected end of input")
    const c = this.text[this.i]!
    this.fail(`${what}, found ${STRUCTURAL.has(c) ? `'${c}'` : "another character"}`)
  }

  space(): void {
    while (this.i < this.text.length) {
      const c = this.text[this.i]
      if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") return
      this.i++
    }
  }

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
    if (c === "\"") return this.string()
    if (c === "-" || isDigit(c)) return this.number()
    if (c === "t" || c === "f" || c === "n") return this.literal()
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
      this.string()
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

  string(): void {
    this.i++
    for (;;) {
      if (this.i >= this.text.length) this.fail("unterminated string")
      const c = this.text[this.i]!
      if (c === "\"") {
        this.i++
        return
      }
      if (c < " ") this.fail("control character (such as a line break) inside a string")
      if (c === "\\") {
        const e = this.text[this.i + 1]
        if (e === "u") {
          for (let k = 2; k < 6; k++) {
            if (!isHex(this.text[this.i + k])) this.fail("invalid \\u escape in a string", Math.min(this.i + k, this.text.length))
          }
          this.i += 6
          continue
        }
        if (e === undefined || !ESCAPES.has(e)) this.fail("invalid escape in a string", this.i + 1)
        this.i += 2
        continue
      }
      this.i++
    }
  }

  number(): void {
    if (this.text[this.i] === "-") {
      this.i++
      if (!isDigit(this.text[this.i])) this.fail("no digits after a minus sign")
    }
    if (this.text[this.i] === "0") this.i++
    else while (isDigit(this.text[this.i])) this.i++
    if (this.text[this.i] === ".") {
      this.i++
      if (!isDigit(this.text[this.i])) this.fail("no digits after a decimal point")
      while (isDigit(this.text[this.i])) this.i++
    }
    if (this.text[this.i] === "e" || this.text[this.i] === "E") {
      this.i++
      if (this.text[this.i] === "+" || this.text[this.i] === "-") this.i++
      if (!isDigit(this.text[this.i])) this.fail("no digits in an exponent")
      while (isDigit(this.text[this.i])) this.i++
    }
  }

  literal(): void {
    const word = this.text[this.i] === "t" ? "true" : this.text[this.i] === "f" ? "false" : "null"
    for (let k = 0; k < word.length; k++) {
      if (this.text[this.i + k] !== word[k]) {
        this.fail(this.i + k >= this.text.length ? "unexpected end of input" : "invalid literal", this.i + k)
      }
    }
    this.i += word.length
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
