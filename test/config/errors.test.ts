import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import fc from "fast-check"
import { formatPath, fromParseError, singleIssue } from "../../src/config/errors.js"

describe("formatPath", () => {
  it("writes paths the way users write them", () => {
    expect(formatPath([])).toBe("")
    expect(formatPath(["retry", "maxRetries"])).toBe("retry.maxRetries")
    expect(formatPath(["limits", 0, "burst"])).toBe("limits[0].burst")
    expect(formatPath(["headers", "X-Api-Version"])).toBe("headers[\"X-Api-Version\"]")
    expect(formatPath([2, "a"])).toBe("[2].a")
  })

  it("property: distinct identifier paths render distinctly", () => {
    const segment = fc.oneof(fc.nat({ max: 50 }), fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/))
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), fc.array(segment, { maxLength: 5 }), (a, b) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(formatPath(a)).not.toBe(formatPath(b))
      })
    )
  })
})

describe("fromParseError", () => {
  const S = Schema.Struct({ mode: Schema.Literal("a", "b", "c"), n: Schema.Number })

  it("merges union alternatives into one line and keeps every path", () => {
    const result = Schema.decodeUnknownEither(S)({ mode: "z", n: "1" }, { errors: "all" })
    if (Either.isRight(result)) throw new Error("expected failure")
    const error = fromParseError("x.json", result.left)
    expect(error.issues.map((i) => [i.path, i.message])).toEqual([
      ["mode", "Expected \"a\" | \"b\" | \"c\", actual \"z\""],
      ["n", "Expected number, actual \"1\""]
    ])
    expect(error.path).toBe("mode")
    expect(error.source).toBe("x.json")
  })

  it("does not print whole objects in place of the actual value", () => {
    const result = Schema.decodeUnknownEither(Schema.Struct({ n: Schema.Number }))({ n: { secret: "abc123" } })
    if (Either.isRight(result)) throw new Error("expected failure")
    expect(fromParseError("x", result.left).message).not.toContain("abc123")
  })

  it("singleIssue carries the variable", () => {
    const error = singleIssue("env", ["retry", "maxRetries"], "Expected a number", "GOVERNOR_X_RETRY_MAX_RETRIES")
    expect(error.variable).toBe("GOVERNOR_X_RETRY_MAX_RETRIES")
    expect(error.message).toContain("GOVERNOR_X_RETRY_MAX_RETRIES → retry.maxRetries: Expected a number")
  })
})
