/**
 * The stores behind Sentinel (master + replica + one Sentinel, started once for this file), and a
 * failover mid-run: the master is killed while two limiter instances (each with its own Sentinel
 * client) admit on one key; the Sentinel promotes the replica and the clients find it by themselves.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option } from "effect"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as Limit from "../../src/limiter/Limit.js"
import type { RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import { makeAdaptiveStore } from "../../src/redis/adaptiveStore.js"
import { makeCacheStore } from "../../src/redis/cacheStore.js"
import * as Redis from "../../src/redis/Redis.js"
import { flavors, flavorTitle, skipFlavor, skipRedis } from "./server.js"
import { connection, limiterWith, uniquePrefix, useSentinel } from "./util.js"

for (const flavor of flavors) {
  describe.skipIf(skipFlavor(flavor, skipRedis))(flavorTitle("the stores behind Sentinel", flavor, skipRedis), () => {
    const setup = useSentinel(400, flavor)
    const layer = (prefix: string) =>
      Redis.layerSentinel({
        sentinels: [`127.0.0.1:${setup.sentinel.port}`],
        name: setup.name,
        prefix,
        maxReconnectDelay: "100 millis",
        commandTimeout: "500 millis"
      })

    it.live("limiter, cache and adaptive stores work on the master Sentinel names", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("sentinel")
        const conn = yield* connection(layer(prefix))
        const redis = yield* Effect.provide(Redis.Redis, conn)
        expect(redis.topology).toBe("sentinel")
        expect(redis.client.status).toBe("ready")
        const rl = yield* limiterWith(layer(prefix), { limits: [Limit.perHour("quota", 2)], throttle: false })
        yield* rl.tryAcquire()
        yield* rl.tryAcquire()
        expect((yield* Effect.flip(rl.tryAcquire()))._tag).toBe("RateLimitExceeded")
        const cache = yield* Effect.provide(makeCacheStore(), conn)
        const entry = { status: 200, headers: {}, body: new Uint8Array([1, 2, 3]), storedAt: 1, expiresAt: 2 }
        yield* cache.set("k", entry, Duration.minutes(1))
        expect(Option.getOrThrow(yield* cache.get("k"))).toEqual(entry)
        expect((yield* cache.stats).entries).toBe(1)
        const adaptive = yield* Effect.provide(makeAdaptiveStore(), conn)
        const start = Aimd.initial(Aimd.defaultConfig(10))
        yield* adaptive.modify("api", (s) => [undefined, { ...(s ?? start), decreases: 7 }])
        expect((yield* adaptive.get("api"))?.decreases).toBe(7)
      })))

    it.live("the master is killed mid-run: no crash, the limit holds within one bucket, admissions resume on the promoted replica", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("failover")
        const capacity = 5
        const rate = 20 / 1000 // per ms: 5 tokens every 250 ms
        const limit = Limit.custom({ name: "shared", capacity, refillAmount: 5, refillPeriod: "250 millis" })
        const instances = yield* Effect.forEach([0, 1], () => limiterWith(layer(prefix), { limits: [limit], throttle: false }))
        const admitted: Array<number> = []
        // Admissions asked for after the kill: decided by the promoted replica (a fiber that booked its
        // slot before the kill may start after it without asking again).
        const afterKill: Array<number> = []
        let refused = 0
        let stopAt = Infinity
        let killedAt = Infinity
        const loop = (rl: RateLimiterShape): Effect.Effect<void, unknown> =>
          Effect.suspend(() =>
            Date.now() >= stopAt ? Effect.void : Effect.suspend(() => {
              const askedAt = Date.now()
              return rl.acquire({ key: "api", maxWait: "1 second" }).pipe(
                Effect.tap(() =>
                  Effect.sync(() => {
                    admitted.push(Date.now())
                    if (askedAt > killedAt) afterKill.push(Date.now())
                  })
                )
              )
            }).pipe(
              // fail-closed: refused at once while there is no master; any other failure fails the test.
              Effect.catchTag("RateLimiterUnavailable", () => Effect.zipRight(Effect.sync(() => refused++), Effect.sleep("10 millis"))),
              Effect.catchTag("RateLimitExceeded", () => Effect.void),
              Effect.zipRight(loop(rl))
            )
          )
        const start = Date.now()
        const control = Effect.gen(function*() {
          yield* Effect.sleep("600 millis")
          killedAt = Date.now()
          yield* Effect.promise(() => setup.master.kill())
          while (afterKill.length === 0 && Date.now() - killedAt < 20_000) yield* Effect.sleep("10 millis")
          stopAt = Date.now() + 600
        })
        yield* Effect.all([control, ...instances.flatMap((rl) => [loop(rl), loop(rl), loop(rl)])], { concurrency: "unbounded", discard: true })
        const recoveredAt = afterKill[0]
        expect(recoveredAt, "admissions resumed after the failover").toBeDefined()
        const recoveryMs = recoveredAt! - killedAt
        const last = admitted[admitted.length - 1]!
        const exact = capacity + rate * (last - start)
        // Replication is asynchronous: the promoted replica may miss the last decisions, so up to one
        // bucket (plus what refills during the replication lag, 100 ms allowed here) is handed out again.
        const bound = exact + capacity + rate * 100
        console.log(
          `sentinel failover: recovery ${recoveryMs} ms after the kill (down-after 400 ms), ${refused} calls refused meanwhile, ` +
            `${admitted.length} admitted vs ${Math.floor(exact)} without failover (bound ${Math.floor(bound)})`
        )
        expect(admitted.length).toBeLessThanOrEqual(Math.floor(bound))
        expect(afterKill.length).toBeGreaterThan(0)
        expect(recoveryMs).toBeLessThan(10_000)
        expect(yield* Effect.promise(() => setup.currentMaster())).toBe(`127.0.0.1:${setup.replica.port}`)
      })), 30_000)
  })
}
