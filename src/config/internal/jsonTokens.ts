/**
 * The tokens of the JSON syntax scan (strings, numbers, literals) and the cursor they move: the
 * structure (values, objects, arrays) is `jsonSyntax.ts`.
 *
 * @since 0.1.0
 * @internal
 */

/** The first error found: where, and why in our own words. */
export class Failure {
  constructor(readonly position: number, readonly reason: string) {}
}

// Only structural characters are named in a reason: a letter or digit could be part of a secret.
const STRUCTURAL = new Set(["{", "}", "[", "]", ",", ":", "\""])

const ESCAPES = new Set(["\"", "\\", "/", "b", "f", "n", "r", "t"])

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c)

/** A position in the text; `fail` throws a `Failure` there. */
export class Cursor {
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
}

/** A string, from its opening quote. */
export const scanString = (s: Cursor): void => {
  s.i++
  for (;;) {
    if (s.i >= s.text.length) s.fail("unterminated string")
    const c = s.text[s.i]!
    if (c === "\"") {
      s.i++
      return
    }
    if (c < " ") s.fail("control character (such as a line break) inside a string")
    if (c === "\\") {
      const e = s.text[s.i + 1]
      if (e === "u") {
        for (let k = 2; k < 6; k++) {
          if (!isHex(s.text[s.i + k])) s.fail("invalid \\u escape in a string", Math.min(s.i + k, s.text.length))
        }
        s.i += 6
        continue
      }
      if (e === undefined || !ESCAPES.has(e)) s.fail("invalid escape in a string", s.i + 1)
      s.i += 2
      continue
    }
    s.i++
  }
}

/** A number, from its first character (a minus sign or a digit). */
export const scanNumber = (s: Cursor): void => {
  if (s.text[s.i] === "-") {
    s.i++
    if (!isDigit(s.text[s.i])) s.fail("no digits after a minus sign")
  }
  if (s.text[s.i] === "0") s.i++
  else while (isDigit(s.text[s.i])) s.i++
  if (s.text[s.i] === ".") {
    s.i++
    if (!isDigit(s.text[s.i])) s.fail("no digits after a decimal point")
    while (isDigit(s.text[s.i])) s.i++
  }
  if (s.text[s.i] === "e" || s.text[s.i] === "E") {
    s.i++
    if (s.text[s.i] === "+" || s.text[s.i] === "-") s.i++
    if (!isDigit(s.text[s.i])) s.fail("no digits in an exponent")
    while (isDigit(s.text[s.i])) s.i++
  }
}

/** `true`, `false` or `null`, from its first letter. */
export const scanLiteral = (s: Cursor): void => {
  const word = s.text[s.i] === "t" ? "true" : s.text[s.i] === "f" ? "false" : "null"
  for (let k = 0; k < word.length; k++) {
    if (s.text[s.i + k] !== word[k]) {
      s.fail(s.i + k >= s.text.length ? "unexpected end of input" : "invalid literal", s.i + k)
    }
  }
  s.i += word.length
}
