import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { getPreset, isPresetName, presetInputs, presetNames, presets } from "../../src/config/presets.js"

describe("presets", () => {
  it("cover the documented vendors", () => {
    expect([...presetNames].sort()).toEqual(["fieldguide", "github", "notion", "openai", "stripe", "stripe-test", "vanta"])
  })

  for (const name of presetNames) {
    it(`${name}: decodes, round-trips through JSON, and documents its source`, () => {
      const decoded = Effect.runSync(ApiConfig.decode(presetInputs[name], name))
      expect(decoded).toEqual(presets[name])
      expect(decoded.name).toBe(name)
      const encoded = Effect.runSync(ApiConfig.encode(decoded))
      const again = Effect.runSync(ApiConfig.decode(JSON.parse(JSON.stringify(encoded)), name))
      expect(again).toEqual(decoded)
      expect(Effect.runSync(ApiConfig.encode(again))).toEqual(encoded)

      expect(new URL(decoded.baseUrl).protocol).toBe("https:")
      expect(decoded.documentedLimit.length).toBeGreaterThan(40)
      expect(decoded.limits.length).toBeGreaterThan(0)
      expect(decoded.auth?.env).toMatch(/^[A-Z_]+$/)
      // The adaptive range starts at the documented sustained rate of the tightest request limit.
      const a = decoded.adaptive
      expect((a.minRate ?? a.initialRate / 100) <= a.initialRate && a.initialRate <= (a.maxRate ?? a.initialRate * 10)).toBe(true)
    })
  }

  it("carry the documented figures", () => {
    const rate = (name: string, limit: string) => presets[name as keyof typeof presets].limits.find((l) => l.name === limit)!.ratePerSecond
    expect(rate("notion", "requests")).toBe(3)
    expect(rate("github", "primary") * 3600).toBeCloseTo(5000, 6)
    expect(rate("github", "secondary-points") * 60).toBeCloseTo(900, 6)
    expect(presets.github.bulkhead.maxConcurrent).toBeLessThanOrEqual(100)
    expect(rate("stripe", "read")).toBe(100)
    expect(rate("stripe", "write")).toBe(100)
    expect(rate("stripe-test", "read")).toBe(25)
    expect(rate("openai", "rpm") * 60).toBeCloseTo(500, 6)
    expect(rate("openai", "tpm") * 60).toBeCloseTo(30_000, 6)
    expect(rate("vanta", "requests") * 60).toBeCloseTo(50, 6)
    expect(presets.fieldguide.documentedLimit).toMatch(/no rate limit is published/i)
    expect(presets.notion.documentedLimit).toMatch(/Retry-After/)
    expect(presets.openai.documentedLimit).toMatch(/tier-1/)
    expect(Duration.toMillis(presets.openai.timeouts.attempt)).toBe(600_000)
  })

  it("getPreset returns the decoded preset or undefined", () => {
    expect(getPreset("github")).toBe(presets.github)
    expect(getPreset("nope")).toBeUndefined()
    expect(getPreset("toString")).toBeUndefined()
    expect(isPresetName("stripe")).toBe(true)
    expect(isPresetName("__proto__")).toBe(false)
  })
})
