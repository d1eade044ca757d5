import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ConfigRegistry from "../../src/config/ConfigRegistry.js"
import { presetNames, presets } from "../../src/config/presets.js"

const acme = { name: "acme", baseUrl: "https://api.acme.test" }

describe("ConfigRegistry", () => {
  it.effect("the default layer holds every preset", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      expect(yield* registry.list).toEqual([...presetNames].sort())
      expect(yield* registry.get("notion")).toBe(presets.notion)
      expect((yield* registry.all).map((c) => c.name)).toEqual([...presetNames].sort())
    }).pipe(Effect.provide(ConfigRegistry.layer)))

  it.effect("get of an unknown name fails with UnknownApiConfig listing the known names", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const error = yield* Effect.flip(registry.get("Notion"))
      expect(error._tag).toBe("UnknownApiConfig")
      expect(error.name).toBe("Notion")
      expect(error.known).toContain("notion")
      expect(error.message).toMatch(/Unknown API config "Notion"; known: .*notion/)
    }).pipe(Effect.provide(ConfigRegistry.layer)))

  it.effect("register validates JSON input, fills in the name, and get returns it", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const stored = yield* registry.register("acme", { baseUrl: acme.baseUrl, retry: { maxRetries: 1 } })
      expect(stored.name).toBe("acme")
      expect(stored.retry.maxRetries).toBe(1)
      expect(yield* registry.get("acme")).toBe(stored)
      expect(yield* registry.list).toEqual(["acme"])
    }).pipe(Effect.provide(ConfigRegistry.layerEmpty)))

  it.effect("register accepts an already decoded config", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const config = ApiConfig.make(acme)
      expect(yield* registry.register("acme", config)).toBe(config)
    }).pipe(Effect.provide(ConfigRegistry.layerEmpty)))

  it.effect("register rejects invalid configs with an InvalidConfig naming the field", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const error = yield* Effect.flip(registry.register("acme", { ...acme, retry: { maxRetries: -1 } }))
      expect(error._tag).toBe("InvalidConfig")
      if (error._tag !== "InvalidConfig") return
      expect(error.source).toBe("register(\"acme\")")
      expect(error.path).toBe("retry.maxRetries")
      const mismatch = yield* Effect.flip(registry.register("acme", { ...acme, name: "other" }))
      expect(mismatch._tag === "InvalidConfig" && mismatch.path).toBe("name")
      expect(yield* registry.list).toEqual([])
    }).pipe(Effect.provide(ConfigRegistry.layerEmpty)))

  it.effect("register is typed by the config's JSON form; an untyped caller's bad input is still an InvalidConfig", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      // @ts-expect-error baseUrl is a string
      const wrongType = yield* Effect.flip(registry.register("acme", { baseUrl: 42 }))
      expect(wrongType._tag === "InvalidConfig" && wrongType.path).toBe("baseUrl")
      // @ts-expect-error no such section
      const unknownKey = yield* Effect.flip(registry.register("acme", { ...acme, retries: 3 }))
      expect(unknownKey._tag === "InvalidConfig" && unknownKey.path).toBe("retries")
      // @ts-expect-error a config is an object
      expect((yield* Effect.flip(registry.register("acme", "https://api.acme.test")))._tag).toBe("InvalidConfig")
      expect(yield* registry.list).toEqual([])
    }).pipe(Effect.provide(ConfigRegistry.layerEmpty)))

  it.effect("a taken name fails with DuplicateApiConfig unless replace is set", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const duplicate = yield* Effect.flip(registry.register("notion", { baseUrl: "https://evil.test" }))
      expect(duplicate._tag).toBe("DuplicateApiConfig")
      expect(yield* registry.get("notion")).toBe(presets.notion)
      const replaced = yield* registry.register("notion", { baseUrl: "https://proxy.test/notion" }, { replace: true })
      expect((yield* registry.get("notion")).baseUrl).toBe("https://proxy.test/notion")
      expect(replaced.retry.maxRetries).toBe(3)
    }).pipe(Effect.provide(ConfigRegistry.layer)))

  it.effect("concurrent registrations of one name: exactly one wins", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      const results = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => Effect.either(registry.register("acme", { baseUrl: `https://a${i}.test` }))),
        { concurrency: "unbounded" }
      )
      expect(results.filter((r) => r._tag === "Right")).toHaveLength(1)
      expect(results.filter((r) => r._tag === "Left" && r.left._tag === "DuplicateApiConfig")).toHaveLength(19)
    }).pipe(Effect.provide(ConfigRegistry.layerEmpty)))

  it.effect("layerWith adds configs to the presets", () =>
    Effect.gen(function*() {
      const registry = yield* ConfigRegistry.ConfigRegistry
      expect(yield* registry.list).toContain("acme")
      expect(yield* registry.list).toContain("github")
    }).pipe(Effect.provide(ConfigRegistry.layerWith([ApiConfig.make(acme)]))))
})
