import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { findJsonSyntaxError, lineColumn } from "../../src/config/internal/jsonSyntax.js"

/** Valid JSON text with a few characters deleted, inserted or cut off: mostly invalid, sometimes not. */
const CHARS = `{}[],:"\\ tfnu0-.e1\n\r\u0001aé`.split("")
const mutatedJson = fc.tuple(
  fc.json({ maxDepth: 3 }),
  fc.array(fc.tuple(fc.nat(), fc.constantFrom("delete", "insert", "truncate"), fc.constantFrom(...CHARS)), { maxLength: 3 })
).map(([text, edits]) => {
  let s = text
  for (const [n, edit, c] of edits) {
    const k = n % (s.length + 1)
    s = edit === "delete" ? s.slice(0, k) + s.slice(k + 1) : edit === "insert" ? s.slice(0, k) + c + s.slice(k) : s.slice(0, k)
  }
  return s
})

const v8Error = (text: string): string | undefined => {
  try {
    JSON.parse(text)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

describe("findJsonSyntaxError", () => {
  it("agrees with JSON.parse on validity, and on the position whenever JSON.parse names one", () => {
    fc.assert(
      fc.property(mutatedJson, (text) => {
        const v8 = v8Error(text)
        const ours = findJsonSyntaxError(text)
        expect(ours === undefined).toBe(v8 === undefined)
        if (v8 === undefined || ours === undefined) return
        const position = /at position (\d+)/.exec(v8)
        if (position !== null) expect(ours.position).toBe(Number(position[1]))
        // Messages without a position name the offending character instead: it must be the one we point at.
        const token = /^Unexpected token '(.)'/s.exec(v8)
        if (token !== null) expect(text[ours.position]).toBe(token[1])
        if (/end of JSON input/.test(v8)) expect(ours.position).toBe(text.length)
      }),
      { numRuns: 3000 }
    )
  })

  it("names the usual mistakes in its own words", () => {
    expect(findJsonSyntaxError(`{"a": ["x",]}`)).toMatchObject({ reason: "trailing comma before ']'", position: 11 })
    expect(findJsonSyntaxError(`{"a": 1,\n}`)).toMatchObject({ reason: "trailing comma before '}'", line: 2, column: 1 })
    expect(findJsonSyntaxError(`{"a": "x`)).toMatchObject({ reason: "unterminated string", position: 8 })
    expect(findJsonSyntaxError(`{"a": tru}`)).toMatchObject({ reason: "invalid literal", position: 9 })
    expect(findJsonSyntaxError(`{"a": 1`)).toMatchObject({ reason: "unexpected end of input", position: 7 })
    expect(findJsonSyntaxError(`{'a': 1}`)?.reason).toBe("expected a property name in double quotes, found another character")
    expect(findJsonSyntaxError(`{"a": 1}}`)?.reason).toBe("unexpected content after the end of the JSON value")
    expect(findJsonSyntaxError(`{"a": 1}`)).toBeUndefined()
  })

  it("does not overflow the stack on absurd nesting", () => {
    const deep = "[".repeat(200_000)
    expect(() => findJsonSyntaxError(deep)).not.toThrow()
  })
})

describe("lineColumn", () => {
  it("counts 1-based lines and columns, CRLF included", () => {
    expect(lineColumn("ab", 0)).toEqual({ line: 1, column: 1 })
    expect(lineColumn("a\r\nbc", 4)).toEqual({ line: 2, column: 2 })
    expect(lineColumn("a\n", 2)).toEqual({ line: 2, column: 1 })
  })
})
