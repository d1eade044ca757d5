import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as fc from "fast-check"
import * as Redis from "../../src/redis/Redis.js"
import { checkServerInfo, compareVersions, minimumVersion, parseRedisVersion } from "../../src/redis/version.js"
import { startFakeRedis } from "./fakeServer.js"
import { freePort } from "./server.js"

const redis7Info = [
  "# Server",
  "redis_version:7.0.15",
  "redis_git_sha1:00000000",
  "redis_mode:standalone",
  "os:Linux 6.1.0 x86_64",
  "tcp_port:6379",
  ""
].join("\r\n")

const version = fc.record({ major: fc.nat(300), minor: fc.nat(300), patch: fc.nat(300) })
const otherLine = fc.stringMatching(/^[a-z_]{1,20}:[ -~]{0,30}$/).filter((l) => !l.startsWith("redis_version:"))

describe("Redis server version check (pure)", () => {
  it("reads redis_version from real INFO server text, Valkey's included", () => {
    expect(parseRedisVersion(redis7Info)).toEqual({ major: 7, minor: 0, patch: 15 })
    expect(parseRedisVersion("# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n"))
      .toEqual({ major: 7, minor: 2, patch: 4 })
    expect(parseRedisVersion("redis_version:5.0\n")).toEqual({ major: 5, minor: 0, patch: 0 })
    expect(parseRedisVersion("# Server\r\nredis_mode:standalone\r\n")).toBeUndefined()
    expect(parseRedisVersion("redis_version:unstable\r\n")).toBeUndefined()
    // A field that merely ends with the name is not the version.
    expect(parseRedisVersion("xredis_version:9.0.0\r\n")).toBeUndefined()
  })

  it("finds the version wherever the field is, among any other lines", () =>
    fc.assert(
      fc.property(version, fc.array(otherLine), fc.array(otherLine), fc.constantFrom("\r\n", "\n"), (v, before, after, eol) => {
        const text = [...before, `redis_version:${v.major}.${v.minor}.${v.patch}`, ...after].join(eol)
        expect(parseRedisVersion(text)).toEqual(v)
      })
    ))

  it("accepts exactly the servers at or above 6.0.0", () => {
    expect(minimumVersion).toEqual({ major: 6, minor: 0, patch: 0 })
    expect(checkServerInfo("redis_version:6.0.0\r\n")).toBe("supported")
    expect(checkServerInfo(redis7Info)).toBe("supported")
    expect(checkServerInfo("no version here")).toBe("unknown")
    const old = checkServerInfo("redis_version:5.0.14\r\n")
    if (typeof old === "string") return expect.fail(old)
    expect(old._tag).toBe("RedisVersionUnsupported")
    expect(old.version).toBe("5.0.14")
    expect(old.message).toContain(">= 6.0.0")
    fc.assert(
      fc.property(version, (v) => {
        const verdict = checkServerInfo(`redis_version:${v.major}.${v.minor}.${v.patch}\r\n`)
        expect(verdict === "supported").toBe(compareVersions(v, minimumVersion) >= 0)
        expect(verdict === "supported").toBe(v.major >= 6)
      })
    )
  })
})

describe("the stated minimum", () => {
  const root = path.resolve(__dirname, "..", "..")
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")

  it("the README states the version the check enforces", () => {
    expect(readme).toContain(`Redis (optional) >= ${minimumVersion.major}.${minimumVersion.minor}`)
    expect(readme).not.toMatch(/Redis (\(optional\) )?>= ?5\b/)
  })

  it("every command a Lua script calls is in the README's list of commands used", () => {
    const sources = ["src/limiter/redisScript.ts", "src/redis/adaptiveStore.ts", "src/redis/cacheStore.ts"]
      .map((file) => fs.readFileSync(path.join(root, file), "utf8"))
      .join("\n")
    const called = new Set([...sources.matchAll(/redis\.call\('(\w+)'/g)].map((m) => m[1]!))
    // A command added to a script fails here first: check the version that introduced it, then list it.
    expect([...called].sort()).toEqual(["GET", "HGET", "HSET", "PEXPIRE", "SET", "TIME"])
    const listed = readme.slice(readme.indexOf("- **Redis >= 6.0.**"), readme.indexOf("- Shutdown does not wait"))
    for (const command of called) expect(listed).toContain(`\`${command}`)
  })
})

describe("connecting to an old server", () => {
  it.live("fails the layer at start with RedisVersionUnsupported, even without requireConnection", () =>
    Effect.gen(function*() {
      const fake = yield* Effect.acquireRelease(Effect.promise(() => startFakeRedis("5.0.7")), (f) => Effect.promise(f.close))
      const error = yield* Effect.flip(Layer.build(Redis.layer({ url: fake.url })))
      expect(error._tag).toBe("RedisVersionUnsupported")
      if (error._tag !== "RedisVersionUnsupported") return
      expect(error.version).toBe("5.0.7")
      expect(error.message).toContain("needs Redis >= 6.0.0")
      expect(fake.commands).toContain("info server")
    }).pipe(Effect.scoped))

  it.live("a server that is recent enough builds the layer", () =>
    Effect.gen(function*() {
      const fake = yield* Effect.acquireRelease(Effect.promise(() => startFakeRedis("6.0.0")), (f) => Effect.promise(f.close))
      const redis = yield* Effect.provide(Redis.Redis, yield* Layer.build(Redis.layer({ url: fake.url })))
      expect(redis.isReady()).toBe(true)
    }).pipe(Effect.scoped))

  it.live("an old server reached only after start: an error logged, Redis treated as unavailable", () =>
    Effect.gen(function*() {
      const errors: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Error") errors.push(String(message))
      })
      const port = yield* Effect.promise(freePort)
      const ctx = yield* Layer.build(
        Redis.layer({ url: `redis://127.0.0.1:${port}`, maxReconnectDelay: "50 millis", connectTimeout: "200 millis" })
      ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      const redis = yield* Effect.provide(Redis.Redis, ctx)
      yield* Effect.acquireRelease(Effect.promise(() => startFakeRedis("5.0.7", port)), (f) => Effect.promise(f.close))
      for (let i = 0; i < 300 && errors.length === 0; i++) yield* Effect.sleep("10 millis")
      expect(redis.client.status).toBe("ready")
      expect(errors.join("\n")).toContain("Redis 5.0.7 is not supported")
      expect(redis.isReady()).toBe(false)
      const failed = yield* Effect.flip(redis.command("get", (c) => c.get("k")))
      expect(failed.reason).toBe("unavailable")
      expect(failed.detail).toContain("5.0.7")
    }).pipe(Effect.scoped))
})
