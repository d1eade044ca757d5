import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Redacted } from "effect"
import fc from "fast-check"
import { inspect } from "node:util"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ConfigRegistry from "../../src/config/ConfigRegistry.js"
import * as Load from "../../src/config/load.js"
import { presets } from "../../src/config/presets.js"

const env = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" }))

/** Everything a failure could leak through: message, JSON, inspection, the pretty cause. */
const renderings = <E>(effect: Effect.Effect<unknown, E>): ReadonlyArray<string> => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  const error = failure._tag === "Some" ? failure.value : undefined
  return [
    Cause.pretty(exit.cause),
    JSON.stringify(error),
    inspect(error, { depth: 10 }),
    String(error),
    error instanceof Error ? error.message : ""
  ]
}

const minimal = { name: "acme", baseUrl: "https://api.acme.test" }

describe("the token never appears in clear text", () => {
  const secret = "tok_live_9f8e7d6c5b4a39281706"

  it.effect("the Redacted token, the config and the auth header", () =>
    Effect.gen(function*() {
      const token = yield* Load.tokenFromEnv(presets.openai).pipe(env({ OPENAI_API_KEY: secret }))
      const config = yield* Load.fromEnv("openai").pipe(env({ OPENAI_API_KEY: secret }))
      const [, header] = Load.authHeader(config.auth!, token)
      const outputs = [
        String(token),
        `${token}`,
        JSON.stringify(token),
        inspect(token),
        String(config),
        JSON.stringify(config),
        inspect(config, { depth: 10 }),
        JSON.stringify({ config, token, header }),
        String(header),
        inspect(header)
      ]
      for (const output of outputs) expect(output).not.toContain(secret)
      expect(Redacted.value(token)).toBe(secret)
    }))

  it("decode errors for a token pasted into the config", () => {
    const attempts: ReadonlyArray<unknown> = [
      { ...minimal, headers: { Authorization: `Bearer ${secret}` } },
      { ...minimal, headers: { "x-api-key": secret } },
      { ...minimal, headers: { Cookie: `session=${secret}` } },
      { ...minimal, auth: { scheme: "header", header: "X-Token" }, headers: { "X-Token": secret } },
      { ...minimal, headers: { "X-Other": `${secret}\r\nInjected: 1` } },
      { ...minimal, auth: { scheme: "bearer", token: secret } },
      { ...minimal, auth: { scheme: "bearer", env: secret + "-" } },
      { ...minimal, auth: { scheme: "bearer", env: secret } },
      { ...minimal, token: secret },
      { ...minimal, baseUrl: `https://user:${secret}@api.acme.test` },
      { ...minimal, baseUrl: `https://api.acme.test/?api_key=${secret}` },
      { ...minimal, throttle: { threshold: 0.5, token: secret } },
      { ...minimal, limits: [{ name: "a", limit: 1, per: "second", token: secret }] }
    ]
    for (const input of attempts) {
      for (const output of renderings(ApiConfig.decode(input, "config.json"))) {
        expect(output, JSON.stringify(input)).not.toContain(secret)
      }
    }
  })

  it("errors from files, the environment and the registry", () => {
    const effects: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
      Load.decodeJson(`{"name":"acme","baseUrl":"https://x.test","auth":{"token":${secret}}}`, "f.json"),
      Load.decodeJson(`{"name":"acme","baseUrl":"https://x.test","headers":{"Authorization":"${secret}"}}`, "f.json"),
      Load.fromEnv("notion").pipe(env({ GOVERNOR_NOTION_HEADERS: `{"Authorization":"Bearer ${secret}"}` })),
      Load.fromEnv("notion").pipe(env({ GOVERNOR_NOTION_HEADERS: `{"Authorization": ${secret}}` })),
      Load.fromEnv("notion").pipe(env({ GOVERNOR_NOTION_AUTH_SCHEME: "bearer", GOVERNOR_NOTION_AUTH_TOKEN: secret, GOVERNOR_NOTION_HEADERS: `{"Cookie":"${secret}"}` })),
      Load.tokenFromEnv(presets.notion).pipe(env({ NOTION_TOKEN: "", OTHER: secret })),
      Effect.flatMap(ConfigRegistry.ConfigRegistry, (r) => r.register("acme", { ...minimal, headers: { Authorization: secret } }))
        .pipe(Effect.provide(ConfigRegistry.layerEmpty))
    ]
    for (const effect of effects) {
      for (const output of renderings(effect)) expect(output).not.toContain(secret)
    }
  })

  it("property: a random token in a credential header or an unknown key never reaches the error", () => {
    const token = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), minLength: 12, maxLength: 48 })
      .map((s) => `sk_${s}`)
    const header = fc.constantFrom("Authorization", "authorization", "Proxy-Authorization", "Cookie", "X-API-Key", "X-Auth-Token")
    fc.assert(
      fc.property(token, header, fc.boolean(), (secretValue, name, nested) => {
        const input = nested
          ? { ...minimal, auth: { scheme: "bearer", secret: secretValue } }
          : { ...minimal, headers: { [name]: secretValue } }
        for (const output of renderings(ApiConfig.decode(input, "config.json"))) {
          expect(output).not.toContain(secretValue)
        }
      }),
      { numRuns: 60 }
    )
  })
})
