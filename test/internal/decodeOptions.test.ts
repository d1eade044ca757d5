import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import { decodeOptions } from "../../src/internal/schema.js"

const decode = decodeOptions(
  Schema.Struct({ a: Schema.optional(Schema.Number), b: Schema.optional(Schema.String) }),
  (field, reason) => ({ field, reason })
)

describe("decodeOptions", () => {
  it("a value that is not an options object is named as such, without the schema's field list", () => {
    for (const [input, kind] of [[null, "null"], [[], "an array"], [5, "number"], ["x", "string"], [true, "boolean"]] as const) {
      expect(Option.getOrUndefined(Either.getLeft(decode(input)))).toEqual({ field: "options", reason: `expected an options object, got ${kind}` })
    }
  })

  it("undefined is left to the schema; a bad field is named", () => {
    expect(Either.isLeft(decode(undefined))).toBe(true)
    expect(Either.getOrThrow(decode({ a: 1 }))).toEqual({ a: 1 })
    expect(Option.getOrUndefined(Either.getLeft(decode({ a: "1" })))?.field).toBe("a")
  })
})
