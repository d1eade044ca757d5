/**
 * Every Redis store on a real 3-master Redis Cluster started once for this file (and on Valkey's
 * when `valkey-server` is installed). "Workers" here are separate limiter/store instances, each
 * with its own `Cluster` client (own slot map, own connection to every master): what the tests check
 * is atomicity on the servers, which is the same whether the clients share a process or not, and
 * spawning processes would cost seconds each (test/redis/workers.test.ts covers real processes).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Layer, Logger, Option } from "effect"
import * as Aimd from "../../src/adaptive/aimd.js"
import type { CacheEntry } from "../../src/cache/CacheStore.js"
import * as Limit from "../../src/limiter/Limit.js"
import type { RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import { make as makeRedis } from "../../src/redis/RedisLimiter.js"
import { makeAdaptiveStore } from "../../src/redis/adaptiveStore.js"
import { makeCacheStore } from "../../src/redis/cacheStore.js"
import { makeLimitsStore } from "../../src/redis/limitsStore.js"
import { makeCircuitBreaker } from "../../src/redis/sharedBreaker.js"
import * as Redis from "../../src/redis/Redis.js"
import { cli, flavors, flavorTitle, skipCluster, skipFlavor } from "./server.js"
import { clusterLayer, connection, keySlot, limiterWith, namesOnEveryMaster, uniquePrefix, useRedisCluster } from "./util.js"

const entry = (body: string): CacheEntry => ({
  status: 200,
  headers: { "content-type": "text/plain" },
  body: new TextEncoder().encode(body),
  storedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000
})

/** Run `self` for every fiber until `deadline`, collecting the times of admissions. */
const hammer = (rl: RateLimiterShape, key: string, deadline: number, into: Array<number>): Effect.Effect<void> =>
  Effect.suspend(() =>
    Date.now() >= deadline
      ? Effect.void
      : rl.acquire({ key, maxWait: Duration.millis(Math.max(0, deadline - Date.now())) }).pipe(
        Effect.tap(() => Effect.sync(() => into.push(Date.now()))),
        Effect.catchTag("RateLimitExceeded", () => Effect.void),
        Effect.orDie,
        Effect.zipRight(hammer(rl, key, deadline, into))
      )
  )

for (const flavor of flavors) {
  describe.skipIf(skipFlavor(flavor, skipCluster))(
    flavorTitle("the stores on a 3-master cluster", flavor, skipCluster),
    () => {
      const cluster = useRedisCluster(3, flavor)
      const layer = (prefix: string) => clusterLayer(cluster.seeds, prefix)

      it.live("K limiter instances sharing limits on keys of every master never exceed them", () =>
        Effect.scoped(Effect.gen(function*() {
          const prefix = uniquePrefix("k-cluster")
          const capacity = 5
          const refillAmount = 5
          const periodMs = 250
          const rate = refillAmount / periodMs
          const limit = Limit.custom({ name: "shared", capacity, refillAmount, refillPeriod: Duration.millis(periodMs) })
          const K = 4
          const instances = yield* Effect.forEach(Array.from({ length: K }), () => limiterWith(layer(prefix), { limits: [limit], throttle: false }))
          const keys = namesOnEveryMaster(prefix, 2, "limiter")
          const admitted = new Map(keys.map((k) => [k, instances.map((): Array<number> => [])]))
          const start = Date.now()
          const deadline = start + 1200
          yield* Effect.all(
            keys.flatMap((key) => instances.flatMap((rl, i) => [0, 1, 2].map(() => hammer(rl, key, deadline, admitted.get(key)![i]!)))),
            { concurrency: "unbounded", discard: true }
          )
          for (const key of keys) {
            const perInstance = admitted.get(key)!
            const times = perInstance.flat().sort((a, b) => a - b)
            // Admissions happen between start and the last reply read, on the clock Redis shares.
            const allowed = Math.floor(capacity + rate * (times[times.length - 1]! - start))
            expect(times.length, key).toBeLessThanOrEqual(allowed)
            expect(times.length, key).toBeGreaterThan(0.7 * allowed)
            expect(perInstance.filter((t) => t.length > 0).length, key).toBeGreaterThanOrEqual(2)
          }
          // The keys really live on every master.
          for (const node of cluster.nodes) {
            expect(Number(yield* Effect.promise(() => cli(flavor, node.port, "dbsize")))).toBeGreaterThan(0)
          }
        })), 30_000)

      it.live("the limiter's other operations route to the key's master: quota, lease, cooldown, setRate, fixed window", () =>
        Effect.scoped(Effect.gen(function*() {
          const prefix = uniquePrefix("ops")
          const quota = Limit.custom({ name: "quota", capacity: 3, refillAmount: 3, refillPeriod: "1 hour" })
          const daily = Limit.perDay("daily", 100, { window: { type: "fixed", timeZone: "UTC" } })
          const rl = yield* limiterWith(layer(prefix), { limits: [quota, daily], throttle: false })
          for (const key of namesOnEveryMaster(prefix, 1, "limiter")) {
            for (let i = 0; i < 3; i++) yield* rl.tryAcquire({ key })
            expect((yield* Effect.flip(rl.tryAcquire({ key })))._tag, key).toBe("RateLimitExceeded")
            yield* Effect.scoped(Effect.flatMap(rl.lease({ key, cost: 0 }), (lease) => lease.adjust({ daily: 5 })))
            yield* rl.cooldown(key, "1 minute")
            yield* rl.setRate(key, 2)
            const snap = yield* rl.snapshot(key)
            expect(snap.cooldownUntil, key).not.toBeNull()
            expect(snap.limits.find((l) => l.name === "daily")!.tokens, key).toBeCloseTo(92, 6)
            expect(snap.limits.find((l) => l.name === "quota")!.tokens, key).toBeCloseTo(0, 2)
          }
        })))

      it.live("cache store: entries on every master are read by another instance, counted by stats, removed by clear", () =>
        Effect.scoped(Effect.gen(function*() {
          const prefix = uniquePrefix("cache-cluster")
          const writer = yield* Effect.provide(makeCacheStore(), yield* connection(layer(prefix)))
          const reader = yield* Effect.provide(makeCacheStore(), yield* connection(layer(prefix)))
          const other = yield* Effect.provide(makeCacheStore({ namespace: "other" }), yield* connection(layer(prefix)))
          const keys = namesOnEveryMaster(prefix, 5, "cache", "cache:e").map((n) => n.slice("cache:".length))
          yield* Effect.forEach(keys, (k) => writer.set(k, entry(k), Duration.minutes(1)), { concurrency: 8, discard: true })
          yield* other.set("kept", entry("kept"), Duration.minutes(1))
          for (const k of keys) expect(Option.getOrThrow(yield* reader.get(k)), k).toEqual(entry(k))
          const stats = yield* reader.stats
          expect(stats.entries).toBe(keys.length)
          expect(stats.bytes).toBeGreaterThan(keys.length * 10)
          yield* reader.clear
          expect((yield* writer.stats).entries).toBe(0)
          for (const k of keys) expect(Option.isNone(yield* writer.get(k)), k).toBe(true)
          expect(Option.isSome(yield* other.get("kept"))).toBe(true)
        })))

      it.live("adaptive store: concurrent updates from 3 instances on keys of every master are never lost", () =>
        Effect.scoped(Effect.gen(function*() {
          const prefix = uniquePrefix("cas-cluster")
          const stores = yield* Effect.forEach([0, 1, 2], () =>
            Effect.flatMap(connection(layer(prefix)), (conn) => Effect.provide(makeAdaptiveStore(), conn)))
          const start = Aimd.initial(Aimd.defaultConfig(10))
          const bump = (s: Aimd.AimdState | undefined) => {
            const next = { ...(s ?? start), decreases: (s ?? start).decreases + 1 }
            return [next.decreases, next] as const
          }
          const keys = namesOnEveryMaster(prefix, 1, "adaptive")
          yield* Effect.forEach(
            stores.flatMap((store) => keys.flatMap((key) => Array.from({ length: 10 }, () => store.modify(key, bump)))),
            (e) => e,
            { concurrency: 16, discard: true }
          )
          for (const store of stores) {
            for (const key of keys) expect((yield* store.get(key))?.decreases, key).toBe(30)
          }
        })))

      it.live("a standalone client on one cluster node: a typed, logged configuration error in every store, never 'no limit'", () =>
        Effect.scoped(Effect.gen(function*() {
          const node = cluster.nodes[0]!
          const refused = yield* Effect.flip(Layer.build(Redis.layer({ url: node.url })))
          expect(refused).toMatchObject({ _tag: "RedisError", reason: "misconfigured" })
          expect(refused.message).toContain("layerCluster")
          // A server that hides its mode (INFO refused by ACL): the redirects themselves are recognized.
          const password = "s3cret-pw"
          yield* Effect.promise(() => cli(flavor, node.port, "acl", "setuser", "noinfo", "on", `>${password}`, "~*", "&*", "+@all", "-info"))
          const logs: Array<string> = []
          const logger = Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${String(message)}`))
          // A prefix whose limits keys (one hash tag) live off node 0, so they are redirected too.
          let prefix = uniquePrefix("moved")
          while (keySlot(Redis.keyFor(prefix, "limits")) < 16384 / 3) prefix = uniquePrefix("moved")
          const standalone = Redis.layer({ url: `redis://noinfo:${password}@127.0.0.1:${node.port}`, prefix })
          const conn = yield* connection(standalone).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
          const keys = namesOnEveryMaster(prefix, 1, "limiter")
          for (const onUnavailable of ["fail-open", "local-fallback"] as const) {
            const rl = yield* makeRedis({ limits: [Limit.perHour("hourly", 100)], onUnavailable, throttle: false }).pipe(Effect.provide(conn))
            const outcomes = yield* Effect.forEach(keys, (key) => Effect.either(rl.tryAcquire({ key })))
            // The key in node 0's slots is admitted; the two others are refused as misconfigured.
            expect(outcomes.filter((o) => o._tag === "Right").length, onUnavailable).toBe(1)
            for (const o of outcomes) {
              if (o._tag === "Left") expect(o.left, onUnavailable).toMatchObject({ _tag: "RateLimiterUnavailable", kind: "misconfigured" })
            }
          }
          const adaptive = yield* Effect.provide(makeAdaptiveStore(), conn)
          const adaptiveErrors = yield* Effect.forEach(keys, (key) => Effect.flip(adaptive.get(key)).pipe(Effect.option))
          expect(adaptiveErrors.filter(Option.isSome).map((e) => e.value.kind)).toEqual(["misconfigured", "misconfigured"])
          const cache = yield* Effect.provide(makeCacheStore(), conn)
          const cacheKeys = namesOnEveryMaster(prefix, 1, "cache", "cache:m").map((n) => n.slice("cache:".length))
          const cacheErrors = yield* Effect.forEach(cacheKeys, (key) => Effect.flip(cache.set(key, entry(key), Duration.minutes(1))).pipe(Effect.option))
          expect(cacheErrors.filter(Option.isSome).map((e) => e.value._tag)).toEqual(["CacheStoreError", "CacheStoreError"])
          // The limits store and the shared breaker classify the same way: no "unavailable", no local state.
          const limits = yield* Effect.provide(makeLimitsStore(), conn)
          const limitsError = yield* Effect.flip(limits.texts)
          expect(limitsError).toMatchObject({ _tag: "LimitsStoreError", reason: "misconfigured" })
          const breakerName = namesOnEveryMaster(prefix, 1, "breaker", "b")[1]!
          const breaker = yield* Effect.provide(makeCircuitBreaker({ name: breakerName }), conn)
          const admitted = yield* Effect.exit(breaker.admit)
          const defect = Exit.isFailure(admitted) ? Cause.dieOption(admitted.cause) : Option.none()
          expect(Option.getOrUndefined(defect), "the breaker went local on a misconfiguration").toMatchObject({
            _tag: "RedisError",
            reason: "misconfigured"
          })
          yield* Effect.sleep("20 millis")
          const errors = logs.filter((l) => l.startsWith("ERROR"))
          expect(errors.length).toBe(1)
          expect(errors[0]).toMatch(/MOVED \d+/)
          expect(errors[0]).toContain("misconfigured")
          expect(logs.join("\n")).not.toContain(password)
        })))
    }
  )
}
