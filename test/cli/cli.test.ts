import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { presets } from "../../src/config/presets.js"
import { runCli } from "./runCli.js"

const tmpFile = (name: string, text: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "governor-cli-"))
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

describe("effect-governor presets / inspect / help", () => {
  it.live("presets lists the registry as a table with documented limits", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["presets"])
      expect(r.code).toBe(0)
      for (const name of ["notion", "github", "stripe", "stripe-test", "openai", "vanta", "fieldguide"]) {
        expect(r.stdout).toMatch(new RegExp(`^${name}\\s`, "m"))
      }
      expect(r.stdout).toContain("requests 3/s burst 5")
      expect(r.stdout).toContain("Documented limits")
      expect(r.stdout).toContain("https://developers.notion.com/reference/request-limits")
    }))

  it.live("presets --json is machine-readable", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["presets", "--json"])
      expect(r.code).toBe(0)
      const list = JSON.parse(r.stdout) as Array<{ name: string; limits: Array<{ ratePerSecond: number }> }>
      expect(list.map((p) => p.name)).toEqual(["fieldguide", "github", "notion", "openai", "stripe", "stripe-test", "vanta"])
      expect(list.find((p) => p.name === "notion")!.limits[0]!.ratePerSecond).toBe(3)
    }))

  it.live("inspect NAME prints JSON that decodes back to the same config", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["inspect", "github"])
      expect(r.code).toBe(0)
      const decoded = yield* ApiConfig.decode(JSON.parse(r.stdout), "cli output")
      expect(yield* ApiConfig.encode(decoded)).toEqual(yield* ApiConfig.encode(presets.github))
    }))

  it.live("inspect --file decodes a config file (with extends)", () =>
    Effect.gen(function*() {
      const file = tmpFile("ok.json", JSON.stringify({ extends: "notion", name: "mine", retry: { maxRetries: 7 } }))
      const r = yield* runCli(["inspect", "--file", file])
      expect(r.code).toBe(0)
      const json = JSON.parse(r.stdout)
      expect([json.name, json.retry.maxRetries, json.baseUrl]).toEqual(["mine", 7, "https://api.notion.com/v1"])
    }))

  it.live("inspect of a bad file names each path and what was expected, exit 2, no stack", () =>
    Effect.gen(function*() {
      const file = tmpFile(
        "bad.json",
        JSON.stringify({ name: "x", baseUrl: "https://a.example", limits: [{ name: "r", limit: -1, per: "second" }], retry: { maxRetries: "3" } })
      )
      const r = yield* runCli(["inspect", "--file", file])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toContain(`invalid config (${file})`)
      expect(r.stderr).toMatch(/at limits\[0\]\.limit: Expected .*greater than 0/)
      expect(r.stderr).toMatch(/at retry\.maxRetries: Expected/)
      expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/)
    }))

  it.live("inspect reports broken JSON, unknown names and missing arguments with exit 2", () =>
    Effect.gen(function*() {
      const broken = yield* runCli(["inspect", "--file", tmpFile("broken.json", "{ \"name\": ")])
      expect(broken.code).toBe(2)
      expect(broken.stderr).toContain("Invalid JSON")
      const missing = yield* runCli(["inspect", "--file", "/nonexistent/governor.json"])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain("Could not read the config file")
      const unknown = yield* runCli(["inspect", "notoin"])
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain("unknown config \"notoin\"; known: fieldguide, github, notion")
      const none = yield* runCli(["inspect"])
      expect(none.code).toBe(2)
    }))

  it.live("unknown flags and subcommands exit 2; --help describes every command", () =>
    Effect.gen(function*() {
      expect((yield* runCli(["probe", "--bogus", "http://127.0.0.1:1/"])).code).toBe(2)
      expect((yield* runCli(["frobnicate"])).code).toBe(2)
      const help = yield* runCli(["--help"])
      expect(help.code).toBe(0)
      for (const name of ["presets", "inspect", "simulate", "probe", "metrics"]) expect(help.stdout).toContain(name)
      const probeHelp = yield* runCli(["probe", "--help"])
      expect(probeHelp.stdout).toContain("Hard cap on the number of requests")
      expect(probeHelp.stdout).toContain("Values are never printed")
      const metricsHelp = yield* runCli(["metrics", "--help"])
      expect(metricsHelp.stdout).toContain("--once")
    }))

  it.live("a value that is not a number names its flag; --header reads as optional in --help", () =>
    Effect.gen(function*() {
      const rate = yield* runCli(["simulate", "--rate", "abc"])
      expect(rate.code).toBe(2)
      expect(rate.stderr).toContain("--rate: expected a number, got 'abc'")
      const max = yield* runCli(["probe", "http://127.0.0.1:1/", "--max-requests=1.5"])
      expect(max.code).toBe(2)
      expect(max.stderr).toContain("--max-requests: expected a whole number, got '1.5'")
      // eslint-disable-next-line no-control-regex
      const usage = (yield* runCli(["probe", "--help"])).stdout.replace(/\u001b\[[0-9;]*m/g, "")
      expect(usage).toContain("[--header text...]")
    }))
})
