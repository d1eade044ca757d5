import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { findSecret, formatFindings, secretRuns } from "./findSecret.js"

const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const secretArb = fc.string({ unit: fc.constantFrom(...chars), minLength: 24, maxLength: 40 })
  .filter((s) => new Set(s).size >= 14)
// Filler from characters the secret never uses, so a match can only come from what was placed.
const fillerArb = fc.string({ unit: fc.constantFrom(..." .,:;{}[]\"'=/\n"), maxLength: 200 })

describe("findSecret", () => {
  it("finds any 8 consecutive characters of the secret, wherever they are placed, and names the output", () =>
    fc.assert(fc.property(secretArb, fillerArb, fillerArb, fc.nat(), (secret, before, after, start) => {
      const from = start % (secret.length - 7)
      const piece = secret.slice(from, from + 8)
      const found = findSecret(secret, [{ where: "clean", text: before + after }, { where: "dirty", text: before + piece + after }])
      expect(found.map((f) => f.where)).toEqual(["dirty"])
      expect(found[0]!.match).toBe(piece)
    })))

  it("ignores 7 characters, reports every separate place, and merges overlapping runs", () =>
    fc.assert(fc.property(secretArb, fillerArb, (secret, filler) => {
      expect(findSecret(secret, [{ where: "o", text: filler + secret.slice(3, 10) + filler }])).toEqual([])
      const text = `${secret.slice(0, 12)} and again ${secret}`
      const found = findSecret(secret, [{ where: "o", text }])
      expect(found.map((f) => f.match)).toEqual([secret.slice(0, 12), secret])
    })))

  it("drops runs that also occur in the baseline", () => {
    const secret = "Q7w-Ezx_91bNmVc3kTt0pLa5"
    const output = { where: "log", text: `id=${secret.slice(0, 10)} key=${secret.slice(12)}` }
    const baseline = [{ where: "log", text: `id=${secret.slice(0, 10)} key=ZZZZZZZZZZZZ` }]
    const found = findSecret(secret, [output], { baseline })
    expect(found.map((f) => f.match)).toEqual([secret.slice(12)])
  })

  it("lists the runs of a secret and groups a report by output", () => {
    expect(secretRuns("abcdefghij")).toEqual(["abcdefgh", "bcdefghi", "cdefghij"])
    const report = formatFindings([
      { context: "file/full", where: `cache file ${"a".repeat(64)}`, match: "abcdefgh", excerpt: "x" },
      { context: "file/hash", where: `cache file ${"b".repeat(64)}`, match: "abcdefgh", excerpt: "x" }
    ])
    expect(report).toBe(`- cache file <sha256> [file/full, file/hash]: "abcdefgh" in …x…`)
  })
})
