import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LimitsFile from "../../src/limits/LimitsFile.js"

const tmpFile = (name: string, text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "governor-limits-")), name)
  fs.writeFileSync(file, text)
  return file
}
const load = (file: string) => LimitsFile.load(file).pipe(Effect.provide(NodeContext.layer))

describe("limits file", () => {
  it.effect("YAML and JSON decode to the same entries", () =>
    Effect.gen(function*() {
      const yaml = tmpFile(
        "limits.yaml",
        `defaults: [{ name: rps, limit: 50, per: second }]
resources:
  openai: [{ name: rpm, limit: 3000, per: minute }]
entities:
  org-1: { limits: { openai: [{ name: rpm, limit: 600, per: minute }] } }
  user-42: { parent: org-1, limits: { "*": [{ name: rpm, limit: 60, per: minute }] } }
`
      )
      const json = tmpFile(
        "limits.json",
        JSON.stringify({
          defaults: [{ name: "rps", limit: 50, per: "second" }],
          resources: { openai: [{ name: "rpm", limit: 3000, per: "minute" }] },
          entities: {
            "org-1": { limits: { openai: [{ name: "rpm", limit: 600, per: "minute" }] } },
            "user-42": { parent: "org-1", limits: { "*": [{ name: "rpm", limit: 60, per: "minute" }] } }
          }
        })
      )
      const a = LimitsFile.entries(yield* load(yaml))
      expect(a.map((e) => e.kind)).toEqual(["system", "resource", "entity", "entity"])
      expect(a).toEqual(LimitsFile.entries(yield* load(json)))
    }))

  it.effect("errors name every bad path: a bad limit, an unknown key, a reserved resource name", () =>
    Effect.gen(function*() {
      const file = tmpFile(
        "bad.json",
        JSON.stringify({
          resources: { "*": [], api: [{ name: "rpm", limit: -1, per: "minute" }] },
          entities: { a: { parent: "b" }, b: { parent: "a" }, c: { parent: "nobody", limit: {} } },
          extra: true
        })
      )
      const error = yield* Effect.flip(load(file))
      expect(error.source).toBe(file)
      const lines = error.issues.map((i) => `${i.path}: ${i.message}`)
      expect(lines.some((l) => /^resources\.api\[0\]\.limit: Expected .*greater than 0/.test(l))).toBe(true)
      expect(lines.some((l) => /^resources\["\*"\]: is unexpected, expected: ResourceName \(not "\*"\)/.test(l))).toBe(true)
      expect(lines.some((l) => /^extra: /.test(l))).toBe(true)
      expect(lines.some((l) => /^entities\.c\.limit: /.test(l))).toBe(true)
    }))

  it.effect("parents must be declared and must not loop", () =>
    Effect.gen(function*() {
      const file = tmpFile("loop.json", JSON.stringify({ entities: { a: { parent: "b" }, b: { parent: "a" }, c: { parent: "nobody" } } }))
      const error = yield* Effect.flip(load(file))
      const lines = error.issues.map((i) => `${i.path}: ${i.message}`)
      expect(lines).toContain("entities.a.parent: parents loop: a > b > a")
      expect(lines).toContain("entities.c.parent: parent \"nobody\" is not declared under entities")
    }))

  it.effect("broken YAML and JSON say where", () =>
    Effect.gen(function*() {
      const yaml = yield* Effect.flip(load(tmpFile("x.yml", "entities:\n  a: [1, 2\n")))
      expect(yaml.issues[0]!.message).toMatch(/^Invalid YAML at line \d+, column \d+/)
      const json = yield* Effect.flip(load(tmpFile("x.json", "{\"entities\": ")))
      expect(json.issues[0]!.message).toMatch(/^Invalid JSON/)
      const missing = yield* Effect.flip(load("/nonexistent/limits.yaml"))
      expect(missing.issues[0]!.message).toBe("Could not read the limits file")
    }))
})
