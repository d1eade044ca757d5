import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Redacted } from "effect"
import * as Load from "../../src/config/load.js"
import { presets } from "../../src/config/presets.js"

const writeTemp = (name: string, content: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "governor-config-" })
    const path = `${dir}/${name}`
    yield* fs.writeFileString(path, content)
    return path
  })

const env = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" }))

describe("loadFile", () => {
  it.scoped("reads and decodes a JSON config", () =>
    Effect.gen(function*() {
      const path = yield* writeTemp("acme.json", JSON.stringify({
        name: "acme",
        baseUrl: "https://api.acme.test",
        limits: [{ name: "rps", limit: 10, per: "second" }],
        retry: { maxDelay: "1 minute" }
      }))
      const config = yield* Load.loadFile(path)
      expect(config.name).toBe("acme")
      expect(config.limits[0]!.ratePerSecond).toBe(10)
      expect(Duration.toMillis(config.retry.maxDelay)).toBe(60_000)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a bad field gives an InvalidConfig naming the file, the path and what was expected", () =>
    Effect.gen(function*() {
      const path = yield* writeTemp("bad.json", JSON.stringify({
        name: "acme",
        baseUrl: "https://api.acme.test",
        limits: [{ name: "rps", limit: 10, per: "second", burst: 2 }]
      }))
      const error = yield* Effect.flip(Load.loadFile(path))
      expect(error._tag).toBe("InvalidConfig")
      expect(error.source).toBe(path)
      expect(error.path).toBe("limits[0].burst")
      expect(error.segments).toEqual(["limits", 0, "burst"])
      expect(error.expected).toMatch(/burst 2 is below the rate 10/)
      expect(error.message).toContain(path)
      expect(error.message).toContain("limits[0].burst")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("invalid JSON names the file and the line and column", () =>
    Effect.gen(function*() {
      const path = yield* writeTemp("broken.json", "{\n  \"name\": \"acme\",\n  \"baseUrl\": \"https://x.test\"\n  \"retry\": {}\n}")
      const error = yield* Effect.flip(Load.loadFile(path))
      expect(error.source).toBe(path)
      expect(error.path).toBe("")
      expect(error.expected).toMatch(/^Invalid JSON at line 4, column 3: expected ',' or '}'/)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a missing file is an InvalidConfig, not a defect", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Load.loadFile("/nonexistent/governor/config.json"))
      expect(error.source).toBe("/nonexistent/governor/config.json")
      expect(error.expected).toMatch(/Could not read the config file/)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("\"extends\" starts from a built-in preset", () =>
    Effect.gen(function*() {
      const path = yield* writeTemp("notion.json", JSON.stringify({ extends: "notion", retry: { maxRetries: 9 } }))
      const config = yield* Load.loadFile(path)
      expect(config.name).toBe("notion")
      expect(config.retry.maxRetries).toBe(9)
      expect(config.retry.initialDelay).toEqual(presets.notion.retry.initialDelay)
      expect(config.limits).toEqual(presets.notion.limits)
      expect(config.headers).toEqual(presets.notion.headers)
      const unknown = yield* Effect.flip(Load.decodeJson(JSON.stringify({ extends: "notoin" }), "x.json"))
      expect(unknown.path).toBe("extends")
      expect(unknown.expected).toMatch(/notion/)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

/** Every 4-character window of `text` (any longer quoted substring contains one). */
const windows = (text: string): ReadonlyArray<string> =>
  Array.from({ length: Math.max(0, text.length - 3) }, (_, i) => text.slice(i, i + 4))

describe("parseJson", () => {
  // Each: a broken file holding a secret, and where the error is (1-based line, column).
  const secret = "T-9fQ2xLw7Rk3Zp"
  const broken: ReadonlyArray<readonly [label: string, text: string, line: number, column: number]> = [
    ["trailing comma", `{\n  "qq": 1,\n  "keys": ["${secret}",]}`, 3, 30],
    ["unterminated string holding a secret", `{\n  "qq": 1,\n  "note": "sk_live_${secret}`, 3, 35],
    ["truncated file", `{\n  "qq": {\n    "ww": ["${secret}", `, 3, 31],
    ["bad literal", `{ "qq": "${secret}",\n  "on": tru }`, 2, 12],
    ["single quotes", `{ 'qq': '${secret}' }`, 1, 3],
    ["content after the value", `{ "qq": 1 }\n"${secret}"`, 2, 1]
  ]
  for (const [label, text, line, column] of broken) {
    it.effect(`${label}: line ${line}, column ${column}, and no file content in the error`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Load.parseJson(text, "cfg"))
        expect(error.expected).toMatch(new RegExp(`^Invalid JSON at line ${line}, column ${column}: `))
        const shown = [error.message, JSON.stringify(error)]
        for (const window of windows(text)) {
          for (const output of shown) expect(output, `quotes ${JSON.stringify(window)}`).not.toContain(window)
        }
      }))
  }


  it.effect("never quotes the text in its message", () =>
    Effect.gen(function*() {
      const secret = "sk-live-DO-NOT-PRINT-4242"
      for (const text of [`{"a": ${secret}}`, `{"a": "${secret}" "b": 1}`, `{"a": "${secret}"`]) {
        const error = yield* Effect.flip(Load.parseJson(text, "inline"))
        expect(error.expected).toMatch(/^Invalid JSON/)
        expect(error.message).not.toContain(secret)
        expect(JSON.stringify(error)).not.toContain(secret)
      }
    }))
})

describe("fromEnv", () => {
  it.effect("overlays variables on the preset of the same name", () =>
    Effect.gen(function*() {
      const config = yield* Load.fromEnv("notion").pipe(env({
        GOVERNOR_NOTION_BASE_URL: "https://notion-proxy.internal.test/v1",
        GOVERNOR_NOTION_RETRY_MAX_RETRIES: "7",
        GOVERNOR_NOTION_RETRY_INITIAL_DELAY: "2 seconds",
        GOVERNOR_NOTION_RETRY_MAX_DELAY: "45000",
        GOVERNOR_NOTION_RETRY_RETRY_ON_STATUS: "429, 503",
        GOVERNOR_NOTION_ADAPTIVE_ENABLED: "no",
        GOVERNOR_NOTION_CACHE_VARY_HEADERS: "Accept,Notion-Version",
        GOVERNOR_NOTION_LIMITS: "[{\"name\":\"rps\",\"limit\":2,\"per\":\"second\"}]",
        GOVERNOR_NOTION_HEADERS: "{\"X-Team\":\"core\"}",
        GOVERNOR_NOTION_THROTTLE: "false",
        GOVERNOR_NOTION_AUTH_ENV: "MY_NOTION_TOKEN",
        GOVERNOR_OTHER_RETRY_MAX_RETRIES: "1"
      }))
      expect(config.name).toBe("notion")
      expect(config.baseUrl).toBe("https://notion-proxy.internal.test/v1")
      expect(config.retry.maxRetries).toBe(7)
      expect(Duration.toMillis(config.retry.initialDelay)).toBe(2000)
      expect(Duration.toMillis(config.retry.maxDelay)).toBe(45_000)
      expect(config.retry.retryOnStatus).toEqual([429, 503])
      expect(config.adaptive.enabled).toBe(false)
      expect(config.adaptive.initialRate).toBe(presets.notion.adaptive.initialRate)
      expect(config.cache.varyHeaders).toEqual(["Accept", "Notion-Version"])
      expect(config.limits.map((l) => l.name)).toEqual(["rps"])
      expect(config.headers).toEqual({ ...presets.notion.headers, "X-Team": "core" })
      expect(config.throttle).toBe(false)
      expect(config.auth).toEqual({ scheme: "bearer", header: "Authorization", env: "MY_NOTION_TOKEN", optional: false })
    }))

  it.effect("without variables it is the preset; without a preset BASE_URL is required", () =>
    Effect.gen(function*() {
      expect(yield* Load.fromEnv("github").pipe(env({}))).toEqual(presets.github)
      const error = yield* Effect.flip(Load.fromEnv("acme").pipe(env({})))
      expect(error.source).toBe("env")
      expect(error.variable).toBe("GOVERNOR_ACME_BASE_URL")
      expect(error.path).toBe("baseUrl")
      const config = yield* Load.fromEnv("acme-eu", { prefix: "APP" }).pipe(env({ APP_ACME_EU_BASE_URL: "https://eu.acme.test" }))
      expect(config.name).toBe("acme-eu")
      expect(config.retry.maxRetries).toBe(3)
    }))

  it.effect("options.base replaces the preset", () =>
    Effect.gen(function*() {
      const config = yield* Load.fromEnv("notion", { base: presets.github }).pipe(env({}))
      expect(config.baseUrl).toBe(presets.github.baseUrl)
      expect(config.name).toBe("notion")
    }))

  it.effect("errors name the variable", () =>
    Effect.gen(function*() {
      const unparsable = yield* Effect.flip(Load.fromEnv("notion").pipe(env({
        GOVERNOR_NOTION_RETRY_MAX_RETRIES: "lots",
        GOVERNOR_NOTION_ADAPTIVE_USE_HEADERS: "maybe",
        GOVERNOR_NOTION_LIMITS: "[{"
      })))
      expect(unparsable.issues.map((i) => i.variable).sort()).toEqual([
        "GOVERNOR_NOTION_ADAPTIVE_USE_HEADERS",
        "GOVERNOR_NOTION_LIMITS",
        "GOVERNOR_NOTION_RETRY_MAX_RETRIES"
      ])
      expect(unparsable.message).toContain("GOVERNOR_NOTION_RETRY_MAX_RETRIES → retry.maxRetries: Expected a number")

      const invalid = yield* Effect.flip(Load.fromEnv("notion").pipe(env({
        GOVERNOR_NOTION_RETRY_MAX_RETRIES: "-2",
        GOVERNOR_NOTION_LIMITS: "[{\"name\":\"rps\",\"limit\":5,\"per\":\"second\",\"burst\":1}]"
      })))
      expect(invalid.issues.map((i) => [i.variable, i.path])).toEqual([
        ["GOVERNOR_NOTION_LIMITS", "limits[0].burst"],
        ["GOVERNOR_NOTION_RETRY_MAX_RETRIES", "retry.maxRetries"]
      ])
    }))

  it("documents one variable per leaf field", () => {
    const suffixes = Load.envVariables.map((v) => v.suffix)
    expect(suffixes).toContain("BASE_URL")
    expect(suffixes).toContain("RETRY_MAX_RETRIES")
    expect(suffixes).toContain("AUTH_ENV")
    expect(suffixes).not.toContain("NAME")
    expect(new Set(suffixes).size).toBe(suffixes.length)
    expect(Load.envVariables.find((v) => v.suffix === "RETRY_RETRY_ON_STATUS")?.kind).toBe("numberList")
    expect(Load.envVariables.find((v) => v.suffix === "MIN_INTERVAL")?.kind).toBe("duration")
    expect(Load.envVariables.find((v) => v.suffix === "LIMITS")?.kind).toBe("json")
  })
})

describe("tokenFromEnv", () => {
  it.effect("reads auth.env (or GOVERNOR_<NAME>_TOKEN) as a Redacted value", () =>
    Effect.gen(function*() {
      const token = yield* Load.tokenFromEnv(presets.notion).pipe(env({ NOTION_TOKEN: "secret_abc" }))
      expect(Redacted.value(token)).toBe("secret_abc")
      const fallback = { ...presets.notion, auth: { scheme: "bearer" as const, header: "Authorization", optional: false } }
      const other = yield* Load.tokenFromEnv(fallback).pipe(env({ GOVERNOR_NOTION_TOKEN: "secret_def" }))
      expect(Redacted.value(other)).toBe("secret_def")
    }))

  it.effect("a missing or empty variable, or no auth section, is an InvalidConfig naming the variable", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Load.tokenFromEnv(presets.github).pipe(env({})))
      expect(missing.variable).toBe("GITHUB_TOKEN")
      expect(missing.message).toContain("GITHUB_TOKEN")
      const empty = yield* Effect.flip(Load.tokenFromEnv(presets.github).pipe(env({ GITHUB_TOKEN: "  " })))
      expect(empty.expected).toMatch(/is empty/)
      const { auth: _auth, ...noAuth } = presets.github
      const none = yield* Effect.flip(Load.tokenFromEnv(noAuth))
      expect(none.path).toBe("auth")
    }))

  it("authHeader builds the header with the value still redacted", () => {
    const token = Redacted.make("tok_123")
    const [name, value] = Load.authHeader({ scheme: "bearer", header: "Authorization" }, token)
    expect(name).toBe("Authorization")
    expect(Redacted.value(value)).toBe("Bearer tok_123")
    const [custom, raw] = Load.authHeader({ scheme: "header", header: "X-Api-Key" }, token)
    expect(custom).toBe("X-Api-Key")
    expect(Redacted.value(raw)).toBe("tok_123")
  })
})
