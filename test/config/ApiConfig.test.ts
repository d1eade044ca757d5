import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Schema } from "effect"
import fc from "fast-check"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { InvalidConfig } from "../../src/config/errors.js"

const minimal = { name: "acme", baseUrl: "https://api.acme.test/v1" }

const decodeSync = (input: unknown) => Effect.runSync(ApiConfig.decode(input, "test.json"))

const decodeError = (input: unknown): InvalidConfig => {
  const result = Effect.runSync(Effect.either(ApiConfig.decode(input, "test.json")))
  if (Either.isRight(result)) throw new Error(`expected an InvalidConfig for ${JSON.stringify(input)}`)
  return result.left
}

const issuePaths = (error: InvalidConfig) => error.issues.map((issue) => issue.path)

describe("ApiConfig defaults", () => {
  it("{ name, baseUrl } decodes to a full config with finite defaults", () => {
    const config = decodeSync(minimal)
    expect(config.name).toBe("acme")
    expect(config.limits).toEqual([])
    expect(config.retry.maxRetries).toBe(3)
    expect(config.retry.retryOnStatus).toEqual([408, 425, 429, 500, 502, 503, 504])
    expect(config.retry.jitter).toBe("full")
    expect(config.retry.idempotencyKey).toBe("none")
    expect(Duration.toMillis(config.retry.initialDelay)).toBe(500)
    expect(Duration.isFinite(config.retry.totalBudget)).toBe(true)
    expect(config.adaptive.backoffStatuses).toEqual([429, 503])
    expect(config.adaptive.useHeaders).toBe(true)
    expect(Duration.toMillis(config.adaptive.maxQuotaWait)).toBe(86_400_000)
    // A failure rate over a window large enough that 20% random errors never reach it (breaker/defaults.ts).
    expect(config.breaker).toMatchObject({ failureThreshold: 20, failureRate: 0.5, windowSize: 100 })
    expect(config.breaker.minimumCalls).toBeUndefined()
    expect(config.bulkhead.maxConcurrent).toBeUndefined()
    expect(config.bulkhead.maxQueue).toBe(100)
    expect(config.cache.enabled).toBe(false)
    expect(config.logging.bodies).toBe(false)
    expect(config.logging.maskStyle).toBe("full")
    expect(config.throttle).toEqual({ threshold: 0.8 })
    expect(Duration.toMillis(config.minInterval)).toBe(0)
    expect(Duration.toMillis(config.timeouts.attempt)).toBeLessThanOrEqual(Duration.toMillis(config.timeouts.overall))
    expect(config.auth).toBeUndefined()
    expect(config.headers).toEqual({})
    expect(config.documentedLimit).toBe("")
  })

  it("partial sections keep the defaults of the fields not given", () => {
    const config = decodeSync({ ...minimal, retry: { maxRetries: 7 }, auth: { scheme: "bearer" }, throttle: {} })
    expect(config.retry.maxRetries).toBe(7)
    expect(config.retry.multiplier).toBe(2)
    expect(config.auth).toEqual({ scheme: "bearer", header: "Authorization", optional: false })
    expect(config.throttle).toEqual({ threshold: 0.8 })
  })

  it("durations accept milliseconds and strings", () => {
    const config = decodeSync({ ...minimal, retry: { initialDelay: "2 seconds", maxDelay: 90_000 }, minInterval: "250 millis" })
    expect(Duration.toMillis(config.retry.initialDelay)).toBe(2000)
    expect(Duration.toMillis(config.retry.maxDelay)).toBe(90_000)
    expect(Duration.toMillis(config.minInterval)).toBe(250)
  })

  it("limits accept the shorthand and the full form", () => {
    const config = decodeSync({
      ...minimal,
      limits: [
        { name: "rps", limit: 3, per: "second", burst: 10 },
        { name: "daily", limit: 1000, per: "day", window: { type: "fixed", timeZone: "America/Los_Angeles" } },
        { name: "custom", capacity: 20, refillAmount: 5, refillPeriod: "2 seconds" }
      ]
    })
    expect(config.limits.map((l) => [l.name, l.capacity, l.refillAmount, Duration.toMillis(l.refillPeriod)])).toEqual([
      ["rps", 10, 3, 1000],
      ["daily", 1000, 1000, 86_400_000],
      ["custom", 20, 5, 2000]
    ])
    expect(config.limits[1]!.window).toEqual({ type: "fixed", timeZone: "America/Los_Angeles" })
  })
})

describe("ApiConfig validation names the field", () => {
  const cases: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
    ["initialRate above maxRate", { adaptive: { initialRate: 80, maxRate: 50 } }, "adaptive.initialRate", /<= maxRate/],
    ["initialRate below minRate", { adaptive: { initialRate: 1, minRate: 2 } }, "adaptive.initialRate", />= minRate/],
    ["minRate above maxRate", { adaptive: { minRate: 60, initialRate: 60, maxRate: 50 } }, "adaptive.minRate", /<= maxRate/],
    ["maxDelay below initialDelay", { retry: { initialDelay: "10 seconds", maxDelay: "1 second" } }, "retry.maxDelay", />= initialDelay/],
    ["too many retries", { retry: { maxRetries: 1000 } }, "retry.maxRetries", /from 0 to 100/],
    ["fractional retries", { retry: { maxRetries: 1.5 } }, "retry.maxRetries", /whole number/],
    ["bad jitter", { retry: { jitter: "some" } }, "retry.jitter", /"none" \| "full" \| "proportional"/],
    ["bad status", { retry: { retryOnStatus: [429, 99] } }, "retry.retryOnStatus[1]", /HTTP error status code \(400-599\)/],
    ["minimumCalls above windowSize", { breaker: { windowSize: 5, minimumCalls: 10 } }, "breaker.minimumCalls", /<= windowSize/],
    ["failureRate above 1", { breaker: { failureRate: 1.5 } }, "breaker.failureRate", /\(0, 1\]/],
    ["file cache without directory", { cache: { enabled: true, store: "file" } }, "cache.directory", /required/],
    ["attempt timeout above overall", { timeouts: { attempt: "5 minutes", overall: "1 minute" } }, "timeouts.attempt", /<= overall/],
    ["negative duration", { minInterval: -5 }, "minInterval", /duration/],
    ["quota wait over 31 days", { adaptive: { maxQuotaWait: "32 days" } }, "adaptive.maxQuotaWait", /at most 31d, got 32d/],
    ["zero quota wait", { adaptive: { maxQuotaWait: 0 } }, "adaptive.maxQuotaWait", /greater than 0 and at most 31d/],
    ["threshold above 1", { throttle: { threshold: 2 } }, "throttle.threshold", /\(0, 1\]/],
    ["burst below the rate", { limits: [{ name: "a", limit: 5, per: "second", burst: 2 }] }, "limits[0].burst", /below the rate/],
    ["unknown period", { limits: [{ name: "a", limit: 5, per: "fortnight" }] }, "limits[0].per", /"second" \| "minute" \| "hour" \| "day"/],
    ["full-form capacity below refill", { limits: [{ name: "a", capacity: 1, refillAmount: 5, refillPeriod: 1000 }] }, "limits[0].capacity", /must be >= refillAmount/],
    ["duplicate limit names", { limits: [{ name: "a", limit: 1, per: "second" }, { name: "a", limit: 60, per: "minute" }] }, "limits[1].name", /duplicate limit name "a"/],
    ["bad header name", { headers: { "Bad Header": "x" } }, "headers[\"Bad Header\"]", /header name/],
    ["credential header", { headers: { Authorization: "Bearer abc" } }, "headers.Authorization", /credentials must not be stored/],
    ["header named like auth.header", { auth: { scheme: "header", header: "X-Token" }, headers: { "x-token": "abc" } }, "headers[\"x-token\"]", /credentials/],
    ["bad env var name", { auth: { scheme: "bearer", env: "my_token" } }, "auth.env", /NAME of an environment variable/],
    ["typo in a key", { retry: { maxRetires: 3 } }, "retry.maxRetires", /is unexpected/],
    ["unknown section", { retries: {} }, "retries", /is unexpected/],
    // Removed in 0.x (the adaptive controller never read it): refused like any unknown key, not ignored.
    ["removed adaptive.increaseStep", { adaptive: { increaseStep: 0.25 } }, "adaptive.increaseStep", /is unexpected/],
    ["removed adaptive.decreaseFactor", { adaptive: { decreaseFactor: 0.5 } }, "adaptive.decreaseFactor", /is unexpected/]
  ]

  // Issue 12, item 10: nonsense that used to be accepted, each refused with a message naming its field.
  const bounds: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
    ["a limit of 1e-300", { limits: [{ name: "a", limit: 1e-300, per: "second", burst: 1 }] }, "limits[0].limit", /less than one token per 366d/],
    ["a bucket under one token", { limits: [{ name: "a", limit: 0.5, per: "second" }] }, "limits[0].limit", /never admits a request of cost 1/],
    ["a limit of 1e300", { limits: [{ name: "a", limit: 1e300, per: "second" }] }, "limits[0].limit", /at most 1000000000000 tokens/],
    ["a burst of 1e300", { limits: [{ name: "a", limit: 5, per: "second", burst: 1e300 }] }, "limits[0].burst", /at most 1000000000000/],
    ["a refill period of 100 years", { limits: [{ name: "a", capacity: 5, refillAmount: 5, refillPeriod: "36500 days" }] }, "limits[0].refillPeriod", /1ms to 366d/],
    ["a refill of 1e-300 per hour", { limits: [{ name: "a", capacity: 5, refillAmount: 1e-300, refillPeriod: "1 hour" }] }, "limits[0].refillAmount", /less than one token/],
    ["timeouts.overall of 36500 days", { timeouts: { overall: "36500 days" } }, "timeouts.overall", /at most 1d, got 36500d/],
    ["retry.maxRetryAfter of 1e9 seconds", { retry: { maxRetryAfter: "1000000000 seconds" } }, "retry.maxRetryAfter", /at most 1d/],
    ["retry.totalBudget of a year", { retry: { totalBudget: "365 days" } }, "retry.totalBudget", /at most 1d/],
    ["retry.maxDelay of a week", { retry: { maxDelay: "7 days" } }, "retry.maxDelay", /at most 1d/],
    ["retry.multiplier of 1e300", { retry: { multiplier: 1e300 } }, "retry.multiplier", /at most 100/],
    ["retrying a 200", { retry: { retryOnStatus: [429, 200] } }, "retry.retryOnStatus[1]", /error status code/],
    ["backing off on a 200", { adaptive: { backoffStatuses: [200] } }, "adaptive.backoffStatuses[0]", /error status code \(400-599\), got 200/],
    ["adaptive rate of 1e300", { adaptive: { initialRate: 1e300 } }, "adaptive.initialRate", /at most 1000000 requests\/s/],
    ["adaptive minRate below one a day", { adaptive: { minRate: 1e-300 } }, "adaptive.minRate", />= 1\/86400 \(one a day\)/],
    ["breaker.windowSize of 1e9", { breaker: { windowSize: 1e9 } }, "breaker.windowSize", /from 1 to 10000/],
    ["breaker.recoveryTimeout of a year", { breaker: { recoveryTimeout: "365 days" } }, "breaker.recoveryTimeout", /at most 1d/],
    ["bulkhead.maxConcurrent of 1e9", { bulkhead: { maxConcurrent: 1e9 } }, "bulkhead.maxConcurrent", /from 1 to 100000/],
    ["bulkhead.maxQueue of -1", { bulkhead: { maxQueue: -1 } }, "bulkhead.maxQueue", /from 0 to 1000000/],
    ["cache.defaultTtl of 100 years", { cache: { defaultTtl: "36500 days" } }, "cache.defaultTtl", /at most 366d/],
    ["cache.maxBytes of 1e18", { cache: { maxBytes: 1e18 } }, "cache.maxBytes", /whole number from 1/],
    ["minInterval of a year", { minInterval: "365 days" }, "minInterval", /at most 1d/],
    ["a negative duration as text", { minInterval: "-5 seconds" }, "minInterval", /Expected a duration: milliseconds >= 0/]
  ]

  for (const [title, extra, path, expected] of [...cases, ...bounds]) {
    it(title, () => {
      const error = decodeError({ ...minimal, ...(extra as object) })
      const issue = error.issues.find((i) => i.path === path)
      expect(issue, `issues: ${JSON.stringify(issuePaths(error))}`).toBeDefined()
      expect(issue!.message).toMatch(expected)
      expect(error.source).toBe("test.json")
      expect(error.message).toContain(path)
    })
  }

  it("values real APIs need stay valid at the bounds", () => {
    const config = decodeSync({
      ...minimal,
      limits: [
        { name: "daily", limit: 1, per: "day" },
        { name: "yearly", capacity: 1, refillAmount: 1, refillPeriod: "366 days" },
        { name: "tokens", limit: 1e12, per: "day" }
      ],
      timeouts: { attempt: "1 day", overall: "1 day" },
      retry: { maxRetryAfter: "1 day", retryOnStatus: [403, 420, 529] },
      adaptive: { initialRate: 1 / 86_400, minRate: 1 / 86_400, maxRate: 1, backoffStatuses: [403, 429] },
      cache: { defaultTtl: "366 days" }
    })
    expect(config.limits.map((l) => l.capacity)).toEqual([1, 1, 1e12])
  })

  it("baseUrl must be an absolute http(s) URL without credentials, query or fragment", () => {
    for (const baseUrl of ["/v1", "ftp://files.acme.test", "https://user:pw@api.acme.test", "https://api.acme.test?key=1", ""]) {
      const error = decodeError({ name: "acme", baseUrl })
      expect(error.path).toBe("baseUrl")
    }
  })

  it("missing required fields and non-objects are reported", () => {
    expect(issuePaths(decodeError({}))).toEqual(["name", "baseUrl"])
    expect(decodeError({ name: "  ", baseUrl: "https://x.test" }).path).toBe("name")
    expect(decodeError(42).expected).toMatch(/JSON object with at least "name" and "baseUrl"/)
  })

  it("every problem is reported at once, with the segments", () => {
    const error = decodeError({ ...minimal, retry: { maxRetries: -1 }, breaker: { windowSize: 0 } })
    expect(issuePaths(error)).toEqual(["retry.maxRetries", "breaker.windowSize"])
    expect(error.issues[0]!.segments).toEqual(["retry", "maxRetries"])
    expect(error.segments).toEqual(["retry", "maxRetries"])
  })

  it("property: the adaptive section decodes exactly when minRate <= initialRate <= maxRate", () => {
    const rate = fc.double({ min: 0.01, max: 1000, noNaN: true })
    fc.assert(
      fc.property(rate, rate, rate, (minRate, initialRate, maxRate) => {
        const result = Effect.runSync(
          Effect.either(ApiConfig.decode({ ...minimal, adaptive: { minRate, initialRate, maxRate } }))
        )
        const valid = minRate <= initialRate && initialRate <= maxRate
        expect(Either.isRight(result)).toBe(valid)
        if (Either.isLeft(result)) expect(result.left.path).toMatch(/^adaptive\.(initialRate|minRate)$/)
      })
    )
  })
})

describe("ApiConfig encoding", () => {
  it("encode then decode gives the same config, and the encoded form is JSON", () => {
    const input = {
      ...minimal,
      limits: [
        { name: "hourly", limit: 5000, per: "hour" as const },
        { name: "rps", limit: 3, per: "second" as const, burst: 6 }
      ],
      retry: { initialDelay: "1 second", jitter: "proportional" as const },
      breaker: { failureRate: 0.6, minimumCalls: 30 },
      bulkhead: { maxConcurrent: 4 },
      cache: { enabled: true, store: "file" as const, directory: "/tmp/cache", varyHeaders: ["Accept"] },
      headers: { "Notion-Version": "2022-06-28" },
      auth: { scheme: "header" as const, header: "X-Api-Key", env: "ACME_KEY" },
      throttle: false as const
    }
    const config = decodeSync(input)
    const encoded = Effect.runSync(ApiConfig.encode(config))
    const json = JSON.parse(JSON.stringify(encoded)) as unknown
    expect(decodeSync(json)).toEqual(config)
    // The hourly limit keeps its period (encoding uses the full form).
    expect(Duration.toMillis(decodeSync(json).limits[0]!.refillPeriod)).toBe(3_600_000)
  })

  it("make builds a config and throws an InvalidConfig on bad input", () => {
    expect(ApiConfig.make(minimal).retry.maxRetries).toBe(3)
    expect(() => ApiConfig.make({ name: "x", baseUrl: "nope" })).toThrow(/baseUrl/)
    // The InvalidConfig itself, as the Limit constructors throw it (not a FiberFailure wrapping it).
    expect(() => ApiConfig.make({ name: "x", baseUrl: "nope" })).toThrow(InvalidConfig)
  })

  it("fromUnknown accepts a decoded config as is and re-validates it", () => {
    const config = decodeSync(minimal)
    expect(ApiConfig.isApiConfig(config)).toBe(true)
    expect(ApiConfig.isApiConfig(minimal)).toBe(false)
    expect(Effect.runSync(ApiConfig.fromUnknown(config))).toBe(config)
    const broken = { ...config, adaptive: { ...config.adaptive, initialRate: 1000, maxRate: 50 } }
    expect(ApiConfig.isApiConfig(broken)).toBe(false)
  })

  it("the schema is usable directly with Schema.decodeUnknown", () => {
    const config = Schema.decodeUnknownSync(ApiConfig.ApiConfig)(minimal)
    expect(config.retry.maxRetries).toBe(3)
  })
})

describe("CurrentApiConfig", () => {
  it.effect("layer provides the config", () =>
    Effect.gen(function*() {
      const config = yield* ApiConfig.CurrentApiConfig
      expect(config.name).toBe("acme")
    }).pipe(Effect.provide(ApiConfig.layer(decodeSync(minimal)))))

  it.effect("layerFromJson decodes, and fails the layer with an InvalidConfig", () =>
    Effect.gen(function*() {
      const name = yield* Effect.map(ApiConfig.CurrentApiConfig, (c) => c.name).pipe(
        Effect.provide(ApiConfig.layerFromJson(minimal))
      )
      expect(name).toBe("acme")
      const error = yield* Effect.flip(
        Effect.provide(ApiConfig.CurrentApiConfig, ApiConfig.layerFromJson({ name: "x" }, "inline"))
      )
      expect(error._tag).toBe("InvalidConfig")
      expect(error.source).toBe("inline")
      expect(error.path).toBe("baseUrl")
      expect(Layer.isLayer(ApiConfig.layerFromJson(minimal))).toBe(true)
    }))
})
