import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Exit, Scope } from "effect"
import fc from "fast-check"
import { Redis as IORedis } from "ioredis"
import * as Admission from "../../src/limiter/admission.js"
import * as Limit from "../../src/limiter/Limit.js"
import type { LimiterStore, Refused, Reservation } from "../../src/limiter/LimiterStore.js"
import { KeyTable, store as memoryStore } from "../../src/limiter/memoryStore.js"
import { makeRedisStore } from "../../src/limiter/redisStore.js"
import { encodeCall } from "../../src/limiter/redisScript.js"
import { compileSet, type LimitSet, type Request, resolveCost } from "../../src/limiter/request.js"
import { limiterLuaScript as limiterScript, scriptPort } from "../../src/redis/limiterPort.js"
import * as Redis from "../../src/redis/Redis.js"
import { flavors, flavorTitle, skipFlavor, skipRedis } from "./server.js"
import { connection, crc16, keySlot, limiterOn, rawClient, redisLayer, uniquePrefix, useRedisServer } from "./util.js"

const hourly = (name: string, capacity: number) =>
  Limit.custom({ name, capacity, refillAmount: capacity, refillPeriod: "1 hour" })

/** No cooldown, pause or adaptive pace. */
const none = (): Admission.Pacer => ({ cooldownUntil: -Infinity, paceAt: -Infinity, adaptive: null })

/** A clock stopped at `ms` (the reference store's time, set call by call). */
const stoppedAt = (ms: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => ms,
  currentTimeMillis: Effect.succeed(ms),
  unsafeCurrentTimeNanos: () => BigInt(Math.round(ms * 1e6)),
  currentTimeNanos: Effect.succeed(BigInt(Math.round(ms * 1e6))),
  sleep: () => Effect.void
})

const serverNow = (client: IORedis) =>
  Effect.promise(() => client.time() as Promise<[string | number, string | number]>).pipe(Effect.map(([s, us]) => Number(s) * 1000 + Number(us) / 1000))

for (const flavor of flavors) {
  describe.skipIf(skipFlavor(flavor, skipRedis))(flavorTitle("RedisLimiter on a real server", flavor, skipRedis), () => {
    const server = useRedisServer({ flavor })

    it.live("consumes from every applicable limit or from none", () =>
      Effect.scoped(Effect.gen(function*() {
        const rl = yield* limiterOn(server.url, uniquePrefix("atomic"), {
          limits: [hourly("a", 5), hourly("b", 3)],
          throttle: false
        })
        for (let i = 0; i < 3; i++) yield* rl.tryAcquire({ cost: { a: 1, b: 1 } })
        const refused = yield* Effect.flip(rl.tryAcquire({ cost: { a: 1, b: 1 } }))
        expect(refused._tag).toBe("RateLimitExceeded")
        if (refused._tag === "RateLimitExceeded") expect(refused.limits).toEqual(["b"])
        // The refusal took nothing from "a".
        const snap = yield* rl.snapshot()
        expect(snap.limits.find((l) => l.name === "a")!.tokens).toBeCloseTo(2, 2)
        expect(snap.limits.find((l) => l.name === "b")!.tokens).toBeCloseTo(0, 2)
        // Limits missing from a cost map cost nothing.
        const permit = yield* rl.tryAcquire({ cost: { a: 2 } })
        expect(permit.costs).toEqual({ a: 2, b: 0 })
        const both = yield* Effect.flip(rl.tryAcquire())
        if (both._tag === "RateLimitExceeded") expect([...both.limits].sort()).toEqual(["a", "b"])
        else expect.fail(both._tag)
        // Bad input is a typed error naming what was wrong, before any round trip.
        const tooBig = yield* Effect.flip(rl.acquire({ key: "other", cost: 4 }))
        expect(tooBig).toMatchObject({ _tag: "CostExceedsCapacity", limit: "b", capacity: 3 })
        const unknown = yield* Effect.flip(rl.consume({ zzz: 1 }))
        expect(unknown._tag).toBe("InvalidCost")
        expect(unknown.message).toContain("zzz")
        expect((yield* Effect.flip(rl.acquire({ cost: Number.NaN })))._tag).toBe("InvalidCost")
        expect((yield* Effect.flip(rl.acquire({ cost: -1 })))._tag).toBe("InvalidCost")
        // A maxWait that is not a duration >= 0 is refused, not read as 0 (nor thrown as a defect).
        for (const maxWait of [-1, Number.NaN, "-5 seconds", "soon"]) {
          const bad = yield* Effect.flip(rl.acquire({ key: "fresh", maxWait: maxWait as Duration.DurationInput }))
          expect(bad.message, String(maxWait)).toMatch(/maxWait must be a duration >= 0/)
        }
        const stats = yield* rl.stats
        expect(stats).toMatchObject({ acquired: 4, rejected: 10, keys: 1 })
      })))

    it.live("waits for room and respects maxWait", () =>
      Effect.scoped(Effect.gen(function*() {
        const rl = yield* limiterOn(server.url, uniquePrefix("wait"), {
          limits: [Limit.custom({ name: "fast", capacity: 2, refillAmount: 1, refillPeriod: "100 millis" })],
          throttle: false
        })
        yield* rl.acquire({ cost: 2 })
        const fail = yield* Effect.flip(rl.acquire({ maxWait: "20 millis" }))
        expect(fail._tag).toBe("RateLimitExceeded")
        if (fail._tag === "RateLimitExceeded") {
          expect(Duration.toMillis(fail.retryAfter)).toBeGreaterThan(50)
          expect(Duration.toMillis(fail.retryAfter)).toBeLessThanOrEqual(101)
        }
        const permit = yield* rl.acquire({ maxWait: "1 second" })
        expect(Duration.toMillis(permit.waited)).toBeGreaterThan(40)
        const stats = yield* rl.stats
        expect(stats.waited).toBe(1)
        expect(stats.totalWaitMs).toBeGreaterThan(40)
      })))

    it.live("Lua refill and wait arithmetic agrees with the pure admission core (waits and blocking limits)", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("math")
        const client = yield* rawClient(server.url)
        const limitCase = fc.record({
          capacity: fc.integer({ min: 1, max: 50 }),
          refillFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
          periodMs: fc.integer({ min: 200, max: 5000 }),
          drainFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          costFraction: fc.double({ min: 0.01, max: 1, noNaN: true })
        })
        const cases = fc.sample(fc.array(limitCase, { minLength: 1, maxLength: 2 }), { numRuns: 30, seed: 7 })
        let i = 0
        for (const c of cases) {
          const limits = c.map((l, j) =>
            Limit.custom({
              name: `l${j}`,
              capacity: l.capacity,
              refillAmount: Math.max(0.01, l.capacity * l.refillFraction),
              refillPeriod: Duration.millis(l.periodMs)
            })
          )
          const rl = yield* limiterOn(server.url, prefix, { limits, throttle: false })
          const key = `k${i++}`
          const drain = Object.fromEntries(c.map((l, j) => [`l${j}`, l.capacity * l.drainFraction]))
          const cost = Object.fromEntries(c.map((l, j) => [`l${j}`, l.capacity * l.costFraction]))
          const t0 = yield* serverNow(client)
          yield* rl.tryAcquire({ key, cost: drain })
          const result = yield* Effect.either(rl.tryAcquire({ key, cost }))
          const t1 = yield* serverNow(client)
          // The reference: the core on full buckets drained at t0, asked for `cost` between t0 and t1.
          const set = compileSet(limits) as LimitSet
          const state = (at: number) => {
            const view = set.specs.map((spec) => Admission.makeKeyBucket(spec, 0))
            Admission.commit({ throttle: false, minIntervalMs: 0 }, none(), view, resolveCost(key, set, drain) as Request, 0)
            const req = resolveCost(key, set, cost) as Request
            return { wait: Admission.waitFor(none(), view, req, at), blocked: Admission.blockedBy(none(), view, req, at) }
          }
          const latest = state(0)
          const earliest = state(t1 - t0)
          if (Either.isRight(result)) {
            expect(earliest.wait).toBe(0)
          } else {
            const error = result.left
            if (error._tag !== "RateLimitExceeded") return expect.fail(error._tag)
            expect(latest.wait).toBeGreaterThan(0)
            const retryMs = Duration.toMillis(error.retryAfter)
            expect(retryMs).toBeGreaterThanOrEqual(Math.floor(earliest.wait))
            expect(retryMs).toBeLessThanOrEqual(Math.ceil(latest.wait) + 1)
            // What blocked it in Redis blocks it in the core at t0, and blocked it still at t1.
            for (const name of earliest.blocked) expect(error.limits).toContain(name)
            for (const name of error.limits) expect(latest.blocked).toContain(name)
          }
        }
      })))

    it.live("Lua reservations and batches agree with the memory store (the TypeScript reference): kind, wait, count, blockers, debts, the pause after", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("reserve-diff")
        const client = yield* rawClient(server.url)
        const redis = yield* Effect.provide(Redis.Redis, yield* connection(redisLayer(server.url, prefix)))
        const clock = yield* Effect.clock
        // Slow limits (a token per second at most): what refills within the few ms a round trip
        // takes is small against the tolerances below.
        const limitCase = fc.record({
          capacity: fc.integer({ min: 1, max: 50 }),
          refillFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
          periodS: fc.integer({ min: 60, max: 3600 }),
          fixed: fc.boolean(),
          drainFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          costFraction: fc.double({ min: 0.2, max: 1, noNaN: true })
        })
        const caseArb = fc.record({
          limits: fc.array(limitCase, { minLength: 1, maxLength: 2 }),
          throttle: fc.constantFrom<number | false>(false, 0.5, 0.9),
          minIntervalMs: fc.constantFrom(0, 50),
          maxWaitMs: fc.constantFrom(0, 1000, 60_000, Infinity),
          batch: fc.constantFrom(1, 3, 10),
          // Before the two reservations: nothing, a cooldown, or an adaptive pace (requests/s).
          before: fc.constantFrom<"none" | "cooldown" | number>("none", "none", "cooldown", 2, 50)
        })
        /** What the pacing calls answer (nothing: compared as an admission at once). */
        const NOTHING: Reservation = { admitted: true, waitMs: 0, count: 1 }
        const kind = (r: Reservation) => !r.admitted ? "refused" : r.waitMs > 0 ? "reserved" : r.count > 1 ? "batch" : "now"
        const seen = new Set<string>()
        let skipped = 0
        const cases = fc.sample(caseArb, { numRuns: 60, seed: 11 })
        for (const [i, c] of cases.entries()) {
          const key = `k${i}`
          const limits = c.limits.map((l, j) =>
            l.fixed
              ? Limit.custom({ name: `l${j}`, capacity: l.capacity, refillAmount: l.capacity, refillPeriod: "1 hour", window: { type: "fixed" } })
              : Limit.custom({
                name: `l${j}`,
                capacity: l.capacity,
                refillAmount: Math.max(0.01, l.capacity * l.refillFraction),
                refillPeriod: Duration.seconds(l.periodS)
              })
          )
          const set = compileSet(limits) as LimitSet
          const amounts = (f: (l: (typeof c.limits)[number]) => number) =>
            Object.fromEntries(c.limits.map((l, j) => [`l${j}`, Math.round(l.capacity * f(l) * 100) / 100]))
          const drain = resolveCost(key, set, amounts((l) => l.drainFraction)) as Request
          const req = resolveCost(key, set, amounts((l) => l.costFraction)) as Request
          const policy: Admission.Policy = { throttle: c.throttle, minIntervalMs: c.minIntervalMs }
          const throttleAt = c.throttle === false ? -1 : c.throttle
          const lua = makeRedisStore(scriptPort(redis), { minIntervalMs: c.minIntervalMs, keyTtlMarginMs: 1000, rateTtlMs: 3_600_000, throttleAt }, clock)
          const before = c.before
          const ops = [
            (s: LimiterStore<unknown>) => s.reserve(key, drain, { maxWaitMs: 0 }),
            (s: LimiterStore<unknown>) =>
              Effect.as(
                before === "none" ? Effect.void : before === "cooldown" ? s.cooldown(key, 30) : s.setRate(key, before, 2),
                NOTHING
              ),
            (s: LimiterStore<unknown>) => s.reserve(key, req, { maxWaitMs: c.maxWaitMs, batch: c.batch }),
            (s: LimiterStore<unknown>) => s.reserve(key, req, { maxWaitMs: c.maxWaitMs, batch: c.batch })
          ]
          // Each call bracketed by server time: it ran in [lo, hi].
          const lo: Array<number> = []
          const hi: Array<number> = []
          const got: Array<Reservation> = []
          for (const op of ops) {
            lo.push(yield* serverNow(client))
            got.push(yield* op(lua))
            hi.push(yield* serverNow(client))
          }
          const peekLo = yield* serverNow(client)
          const peeked = yield* lua.peek(key, set)
          const peekHi = yield* serverNow(client)
          // The reference run at every corner of the brackets (each call at the start or the end of its
          // own): what Redis answered must match them, and lie between them (the answers move one way
          // as any one call moves later).
          const replay = (times: ReadonlyArray<number>, peekAt: number) =>
            Effect.gen(function*() {
              const ref = memoryStore(new KeyTable(100, Infinity), policy)
              const out: Array<Reservation> = []
              for (const [j, op] of ops.entries()) out.push(yield* Effect.withClock(op(ref), stoppedAt(times[j]!)))
              return { out, peek: yield* Effect.withClock(ref.peek(key, set), stoppedAt(peekAt)) }
            })
          const corners = yield* Effect.forEach(Array.from({ length: 2 ** (ops.length + 1) }), (_, bits) =>
            replay(lo.map((t, j) => (bits >> j) & 1 ? hi[j]! : t), (bits >> ops.length) & 1 ? peekHi : peekLo))
          const hull = (values: ReadonlyArray<number>) => [Math.min(...values), Math.max(...values)] as const
          let agree = true
          for (const [j, g] of got.entries()) {
            const refs = corners.map((r) => r.out[j]!)
            const kinds = new Set(refs.map((r) => `${kind(r)}:${r.admitted ? r.count : 0}`))
            if (kinds.size > 1) {
              // A boundary fell inside the brackets: the references part ways from here.
              agree = false
              skipped++
              break
            }
            const label = `case ${i} call ${j}: ${JSON.stringify({ c, g, ref: refs[0] })}`
            expect(`${kind(g)}:${g.admitted ? g.count : 0}`, label).toBe([...kinds][0])
            seen.add(kind(g))
            const ceil = (r: Reservation) => r.admitted ? r.waitMs : Math.max(1, Math.ceil(r.waitMs))
            const [minWait, maxWait] = hull(refs.map(ceil))
            expect(ceil(g), label).toBeGreaterThanOrEqual(minWait - 0.01)
            expect(ceil(g), label).toBeLessThanOrEqual(maxWait + 0.01)
            if (!g.admitted) {
              expect(refs.map((r) => [...(r as Refused).blockedBy].sort()), label).toContainEqual([...g.blockedBy].sort())
            }
          }
          if (!agree) continue
          peeked.buckets.forEach((b, k) => {
            const eps = 1e-6 * b.spec.capacity
            const [min, max] = hull(corners.map((r) => r.peek.buckets[k]!.tokens))
            expect(b.tokens, `case ${i} ${b.spec.name}`).toBeGreaterThanOrEqual(min - eps)
            expect(b.tokens, `case ${i} ${b.spec.name}`).toBeLessThanOrEqual(max + eps)
          })
        }
        expect([...seen].sort()).toEqual(["batch", "now", "refused", "reserved"])
        expect(skipped).toBeLessThanOrEqual(6)
      })), 60_000)

    it.live("fixed windows follow the time zone's wall clock, on server time", () =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* rawClient(server.url)
        // Hourly windows in a zone offset by :30 from UTC, so a UTC-aligned mistake would show.
        const quota = Limit.perHour("quota", 3, { window: { type: "fixed", timeZone: "Asia/Kolkata" } })
        const rl = yield* limiterOn(server.url, uniquePrefix("fixed"), { limits: [quota], throttle: false })
        yield* rl.acquire({ cost: 3 })
        const now = yield* serverNow(client)
        const error = yield* Effect.flip(rl.tryAcquire())
        if (error._tag !== "RateLimitExceeded") return expect.fail(error._tag)
        const expected = Limit.fixedWindowEnd(quota, now) - now
        expect(Math.abs(Duration.toMillis(error.retryAfter) - expected)).toBeLessThan(100)
        const snap = yield* rl.snapshot()
        expect(snap.limits[0]!.fullAt).toBe(Limit.fixedWindowEnd(quota, now))
        expect(new Date(snap.limits[0]!.fullAt).getUTCMinutes()).toBe(30)
      })))

    it.live("recovers from NOSCRIPT after SCRIPT FLUSH", () =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, uniquePrefix("noscript"), { limits: [hourly("a", 10)] })
        yield* rl.acquire()
        expect(yield* Effect.promise(() => client.script("EXISTS", limiterScript.sha))).toEqual([1])
        yield* Effect.promise(() => client.script("FLUSH"))
        expect(yield* Effect.promise(() => client.script("EXISTS", limiterScript.sha))).toEqual([0])
        const permit = yield* rl.acquire()
        expect(permit.costs).toEqual({ a: 1 })
        expect(yield* Effect.promise(() => client.script("EXISTS", limiterScript.sha))).toEqual([1])
        const snap = yield* rl.snapshot()
        expect(snap.limits[0]!.tokens).toBeCloseTo(8, 2)
      })))

    it.live("makes exactly one round trip per decision (admitted or refused)", () =>
      Effect.scoped(Effect.gen(function*() {
        const rl = yield* limiterOn(server.url, uniquePrefix("rtt"), {
          limits: [hourly("a", 10), hourly("b", 20)],
          throttle: false
        })
        yield* rl.snapshot() // connection up and script loaded before we start counting
        const monitor = yield* Effect.acquireRelease(
          Effect.promise(async () => {
            const c = new IORedis(server.url)
            return { c, m: await c.monitor() }
          }),
          ({ c, m }) =>
            Effect.sync(() => {
              m.disconnect()
              c.disconnect()
            })
        )
        const seen: Array<{ readonly args: ReadonlyArray<string>; readonly source: string }> = []
        monitor.m.on("monitor", (_time: string, args: Array<string>, source: string) => seen.push({ args, source }))
        yield* Effect.sleep("50 millis")
        for (let i = 0; i < 10; i++) yield* rl.acquire({ cost: { a: 1, b: 1 } })
        for (let i = 0; i < 5; i++) yield* Effect.either(rl.tryAcquire())
        yield* rl.cooldown("other", "1 second")
        // MONITOR output can trail the replies by a moment.
        yield* Effect.sleep("100 millis")
        const fromClients = seen.filter((s) => s.source !== "lua")
        expect(fromClients.map((s) => s.args[0]!.toLowerCase())).toEqual(Array(16).fill("evalsha"))
        // Every script call names exactly one key.
        expect(fromClients.every((s) => s.args[2] === "1")).toBe(true)
        const inside = seen.filter((s) => s.source === "lua").map((s) => s.args[0]!.toLowerCase())
        expect(inside).toContain("time")
      })))

    it("computes cluster slots with the CRC16 hash-tag rule", () => {
      expect(crc16(new TextEncoder().encode("123456789"))).toBe(0x31c3)
      expect(keySlot("foo")).toBe(12182)
      expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"))
      // An empty tag hashes the whole key; the tag ends at the first "}" after the first "{".
      expect(keySlot("foo{}{bar}")).toBe(crc16(new TextEncoder().encode("foo{}{bar}")) % 16384)
      expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"))
    })

    it.live("keeps every key of one decision in one cluster slot, even for odd entity names", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("slots")
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, prefix, { limits: [hourly("a", 10)] })
        const entities = ["plain", "a{b}c", "}x{", "100%", "{", ""]
        for (const key of entities) {
          yield* rl.acquire({ key })
          yield* rl.cooldown(key, "10 millis")
          yield* rl.setRate(key, 5)
        }
        const keys = yield* Effect.promise(() => client.keys(`{${prefix}:*`))
        expect(keys.length).toBe(entities.length)
        for (const entity of entities) {
          const written = keys.filter((k) => k.startsWith(Redis.keyFor(prefix, entity)))
          expect(written.length).toBeGreaterThan(0)
          const tag = Redis.keyFor(prefix, entity)
          // The hash tag is the whole `{prefix:entity}` (braces in the entity are escaped).
          expect(tag.indexOf("}")).toBe(tag.length - 1)
          for (const k of written) expect(keySlot(k)).toBe(keySlot(tag))
        }
        expect(new Set(keys.map(keySlot)).size).toBeGreaterThan(1)
      })))

    it.live("gives every key a TTL matching the time to full refill, and keys vanish", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("ttl")
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, prefix, {
          limits: [Limit.custom({ name: "r", capacity: 10, refillAmount: 10, refillPeriod: "1 second" })],
          keyTtlMargin: "50 millis",
          throttle: false,
          rateTtl: "2 seconds"
        })
        yield* rl.acquire({ key: "e", cost: 4 })
        const key = Redis.keyFor(prefix, "e", ["limiter"])
        const ttl = yield* Effect.promise(() => client.pttl(key))
        expect(ttl).toBeGreaterThan(400)
        expect(ttl).toBeLessThanOrEqual(451)
        yield* rl.cooldown("e", "1500 millis")
        expect(yield* Effect.promise(() => client.pttl(key))).toBeGreaterThan(1400)
        yield* rl.setRate("e", 100)
        expect(yield* Effect.promise(() => client.pttl(key))).toBeGreaterThan(1900)
        // A key that is full again disappears on its own.
        yield* rl.acquire({ key: "gone", cost: 1 })
        const goneKey = Redis.keyFor(prefix, "gone", ["limiter"])
        expect(yield* Effect.promise(() => client.exists(goneKey))).toBe(1)
        let exists = 1
        for (let i = 0; i < 100 && exists === 1; i++) {
          yield* Effect.sleep("20 millis")
          exists = yield* Effect.promise(() => client.exists(goneKey))
        }
        expect(exists).toBe(0)
        const all = yield* Effect.promise(() => client.keys(`{${prefix}:*`))
        for (const k of all) expect(yield* Effect.promise(() => client.pttl(k))).toBeGreaterThan(0)
      })))

    it.live("a cooldown set by one worker pauses the others", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("cooldown")
        const options = { limits: [hourly("a", 100)] }
        const one = yield* limiterOn(server.url, prefix, options)
        const two = yield* limiterOn(server.url, prefix, options)
        yield* two.acquire({ key: "api" })
        yield* one.cooldown("api", "300 millis")
        // Never shortened by a shorter one.
        yield* two.cooldown("api", "10 millis")
        const refused = yield* Effect.flip(two.tryAcquire({ key: "api" }))
        if (refused._tag !== "RateLimitExceeded") return expect.fail(refused._tag)
        expect(refused.limits).toEqual(["cooldown"])
        expect(Duration.toMillis(refused.retryAfter)).toBeGreaterThan(200)
        const snap = yield* two.snapshot("api")
        expect(snap.cooldownUntil).not.toBeNull()
        // Other keys are not paused.
        yield* two.tryAcquire({ key: "elsewhere" })
        const permit = yield* two.acquire({ key: "api" })
        expect(Duration.toMillis(permit.waited)).toBeGreaterThan(200)
        // A cooldown a hostile server asks for (31 years) is refused, so it is never persisted for every
        // worker; nor is a pace of one request per 31 years.
        const other = uniquePrefix("cooldown-bound")
        const three = yield* limiterOn(server.url, other, options)
        expect((yield* Effect.flip(three.cooldown("api", "999999999 seconds")))._tag).toBe("InvalidPacing")
        expect((yield* Effect.flip(three.setRate("api", 1 / 999_999_999)))._tag).toBe("InvalidPacing")
        const client = yield* rawClient(server.url)
        expect(yield* Effect.promise(() => client.keys(`{${other}:*`))).toEqual([])
        expect((yield* three.snapshot("api")).cooldownUntil).toBeNull()
      })))

    it.live("setRate paces every worker together, not each one", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("pace")
        const options = { limits: [hourly("a", 1000)], throttle: false as const }
        const one = yield* limiterOn(server.url, prefix, options)
        const two = yield* limiterOn(server.url, prefix, options)
        yield* one.setRate("api", 50, { burst: 1 })
        const snap = yield* two.snapshot("api")
        expect(snap).toMatchObject({ currentRate: 50, rateSource: "adaptive" })
        const start = Date.now()
        yield* Effect.all(
          [one, two].map((rl) => Effect.forEach(Array.from({ length: 10 }), () => rl.acquire({ key: "api" }))),
          { concurrency: "unbounded" }
        )
        // 20 admissions at 50/s with a burst of 1 need at least 19 gaps of 20 ms.
        expect(Date.now() - start).toBeGreaterThanOrEqual(370)
        expect((yield* Effect.flip(two.setRate("api", -1)))._tag).toBe("InvalidPacing")
        expect((yield* Effect.flip(two.setRate("api", 5, { burst: 0.5 })))._tag).toBe("InvalidPacing")
        expect((yield* Effect.flip(two.cooldown("api", "soon" as Duration.DurationInput)))._tag).toBe("InvalidPacing")
        yield* two.setRate("api", null)
        expect((yield* one.snapshot("api")).rateSource).toBe("configured")
        const t = Date.now()
        yield* Effect.forEach(Array.from({ length: 20 }), () => one.acquire({ key: "api" }))
        expect(Date.now() - t).toBeLessThan(300)
      })))

    it.live("leases adjust up and down across workers and refund on failure", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("lease")
        const options = { limits: [hourly("tpm", 10)], throttle: false as const }
        const one = yield* limiterOn(server.url, prefix, options)
        const two = yield* limiterOn(server.url, prefix, options)
        const tokens = Effect.map(two.snapshot("llm"), (s) => s.limits[0]!.tokens)

        const scope = yield* Scope.make()
        const lease = yield* one.lease({ key: "llm", cost: 2 }).pipe(Scope.extend(scope))
        expect(yield* tokens).toBeCloseTo(8, 2)
        yield* lease.adjust(7)
        expect(yield* tokens).toBeCloseTo(3, 2)
        yield* lease.adjust(1)
        expect(yield* tokens).toBeCloseTo(9, 2)
        expect(yield* lease.current).toEqual({ tpm: 1 })
        // Upwards past capacity: the bucket goes into debt, which the other worker waits out.
        yield* lease.adjust(15)
        expect(yield* tokens).toBeCloseTo(-5, 2)
        const refused = yield* Effect.flip(two.tryAcquire({ key: "llm" }))
        if (refused._tag !== "RateLimitExceeded") return expect.fail(refused._tag)
        expect(Duration.toMillis(refused.retryAfter)).toBeGreaterThan(Duration.toMillis("30 minutes"))
        yield* Scope.close(scope, Exit.void)
        // Success keeps the cost (no refund).
        expect(yield* tokens).toBeCloseTo(-5, 2)
        yield* lease.adjust(0)
        expect(yield* tokens).toBeCloseTo(10, 2)

        // Failure with refundOnFailure gives everything back.
        const failed = yield* Effect.scoped(
          Effect.gen(function*() {
            const l = yield* one.lease({ key: "llm", cost: 4, refundOnFailure: true })
            yield* l.adjust(6)
            expect(yield* tokens).toBeCloseTo(4, 2)
            return yield* Effect.fail("upstream down" as const)
          })
        ).pipe(Effect.flip)
        expect(failed).toBe("upstream down")
        expect(yield* tokens).toBeCloseTo(10, 2)
        // Without refundOnFailure a failure still spends quota.
        yield* Effect.scoped(Effect.zipRight(one.lease({ key: "llm", cost: 4 }), Effect.fail("x"))).pipe(Effect.ignore)
        expect(yield* tokens).toBeCloseTo(6, 2)
      })))

    it.live("keeps buckets a call does not name, and reads a value of another format as empty", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("state")
        const client = yield* rawClient(server.url)
        const a = hourly("a", 10)
        const b = hourly("b", 20)
        const c = hourly("c", 5)
        const rl = yield* limiterOn(server.url, prefix, { limits: [a, b], throttle: false })
        const tokens = (key: string) => Effect.map(rl.snapshot(key), (s) => s.limits.map((l) => Math.round(l.tokens)))
        // One limit stored, then calls naming another one only (short path refused: the name differs)
        // and both (general path): every bucket keeps its own count.
        yield* rl.acquire({ key: "k", limits: [a], cost: 3 })
        yield* rl.acquire({ key: "k", limits: [c], cost: 2 })
        yield* rl.acquire({ key: "k", cost: 1 })
        expect(yield* tokens("k")).toEqual([6, 19])
        yield* rl.acquire({ key: "k", limits: [b], cost: 4 })
        expect(yield* tokens("k")).toEqual([6, 15])
        const refusedC = yield* Effect.flip(rl.tryAcquire({ key: "k", limits: [c], cost: 4 }))
        if (refusedC._tag !== "RateLimitExceeded") return expect.fail(refusedC._tag)
        expect(refusedC.limits).toEqual(["c"])
        // A value written in another format (an older release) is not misread: the key starts afresh.
        const key = Redis.keyFor(prefix, "old", ["limiter"])
        yield* Effect.promise(() => client.set(key, Buffer.from([0x82, 0xa1, 0x6c, 0x80, 0xa1, 0x78, 0x01]), "PX", 60_000))
        yield* rl.acquire({ key: "old", limits: [a], cost: 1 })
        expect(yield* tokens("old")).toEqual([9, 20])
        yield* Effect.promise(() => client.set(key, "x".repeat(200), "PX", 60_000))
        yield* rl.acquire({ key: "old", cost: 2 })
        expect(yield* tokens("old")).toEqual([8, 18])
        expect(yield* Effect.promise(() => client.pttl(key))).toBeGreaterThan(0)
      })))

    it("encodes the script argument as documented", () => {
      const name = new TextEncoder().encode("é")
      const out = encodeCall([1, 2, 3, -1], [{ name, capacity: 10, refillAmount: 5, periodMs: 1000, fixed: true }], [2.5], [[100, 200]])
      expect(out.length).toBe(34 + 2 + name.length + 49)
      expect([0, 8, 16, 24].map((o) => out.readDoubleLE(o))).toEqual([1, 2, 3, -1])
      expect(out.readUInt16LE(32)).toBe(1)
      expect(out.readUInt16LE(34)).toBe(2)
      let o = 36 + name.length
      const fields = [10, 5, 1000, 2.5].map((_, i) => out.readDoubleLE(o + 8 * i))
      expect(fields).toEqual([10, 5, 1000, 2.5])
      o += 32
      expect(out.readUInt8(o)).toBe(1)
      expect([out.readDoubleLE(o + 1), out.readDoubleLE(o + 9)]).toEqual([100, 200])
      const rolling = encodeCall([0, 0, 0, 0], [{ name, capacity: 1, refillAmount: 1, periodMs: 1, fixed: false }], [1], [[100, 200]])
      expect([rolling.readDoubleLE(rolling.length - 16), rolling.readDoubleLE(rolling.length - 8)]).toEqual([0, 0])
    })

    it.live("pushes a key's expiry back only when what is left no longer covers refill + half the margin", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("keepttl")
        const client = yield* rawClient(server.url)
        // One token per 100 ms; margin 400 ms.
        const rl = yield* limiterOn(server.url, prefix, {
          limits: [Limit.custom({ name: "r", capacity: 10, refillAmount: 10, refillPeriod: "1 second" })],
          keyTtlMargin: "400 millis",
          throttle: false
        })
        const key = Redis.keyFor(prefix, "k", ["limiter"])
        const pttl = Effect.promise(() => client.pttl(key))
        yield* rl.acquire({ key: "k" })
        // New key: refill 100 + margin 400.
        const first = yield* pttl
        expect(first).toBeGreaterThan(400)
        expect(first).toBeLessThanOrEqual(501)
        // The short form: one bucket, nothing else in force.
        expect((yield* Effect.promise(() => client.getBuffer(key)))![0]).toBe(3)
        // Refill 200 + 200 (half the margin) still fits in what is left: the expiry stays.
        yield* rl.acquire({ key: "k" })
        const kept = yield* pttl
        expect(kept).toBeLessThanOrEqual(first)
        // Refill 500 + 200 does not: pushed back to refill + the whole margin.
        yield* rl.acquire({ key: "k", cost: 3 })
        const pushed = yield* pttl
        expect(pushed).toBeGreaterThan(800)
        expect(pushed).toBeLessThanOrEqual(901)
        expect((yield* rl.snapshot("k")).limits[0]!.tokens).toBeCloseTo(5, 0)
        // Without the key, nothing was lost: it only goes once the bucket is full again.
        for (let i = 0; i < 100 && (yield* Effect.promise(() => client.exists(key))) === 1; i++) yield* Effect.sleep("20 millis")
        expect((yield* rl.snapshot("k")).limits[0]!.tokens).toBe(10)
      })))

    it.live("the short path picks a key up again after a cooldown, from either stored form", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("forms")
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, prefix, { limits: [hourly("a", 10)], throttle: false })
        const key = Redis.keyFor(prefix, "k", ["limiter"])
        const version = Effect.promise(() => client.getBuffer(key)).pipe(Effect.map((b) => b![0]))
        yield* rl.acquire({ key: "k", cost: 2 })
        expect(yield* version).toBe(3)
        yield* rl.cooldown("k", "100 millis")
        // A cooldown is state the short form cannot hold.
        expect(yield* version).toBe(2)
        const refused = yield* Effect.flip(rl.tryAcquire({ key: "k" }))
        if (refused._tag !== "RateLimitExceeded") return expect.fail(refused._tag)
        expect(refused.limits).toEqual(["cooldown"])
        yield* Effect.sleep("150 millis")
        // Cooldown over: admitted by the short path from the long form, written back short.
        yield* rl.acquire({ key: "k", cost: 3 })
        expect(yield* version).toBe(3)
        expect((yield* rl.snapshot("k")).limits[0]!.tokens).toBeCloseTo(5, 2)
        // Acquiring with no limits at all admits (nothing to consume).
        const permit = yield* rl.acquire({ key: "k", limits: [] })
        expect(permit.costs).toEqual({})
        expect((yield* rl.stats).keys).toBe(1)
      })))

    it.live("a prepared call that gets no answer within commandTimeout fails as a timeout, then Redis serves again", () =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, uniquePrefix("timeout"), { limits: [hourly("a", 10)], throttle: false }, {
          commandTimeout: "100 millis"
        })
        yield* rl.acquire()
        // Every command waits 1 s: the EVALSHA is still unanswered when its 100 ms are up.
        yield* Effect.promise(() => client.call("CLIENT", "PAUSE", "1000", "ALL"))
        const start = Date.now()
        const error = yield* Effect.flip(rl.acquire())
        const took = Date.now() - start
        expect(error._tag).toBe("RateLimiterUnavailable")
        expect(error.message).toContain("timeout")
        expect(took).toBeGreaterThanOrEqual(90)
        expect(took).toBeLessThan(700)
        yield* Effect.sleep("1 second")
        expect((yield* rl.acquire()).costs).toEqual({ a: 1 })
      })))

    it.live("prepared calls honour ioredis' own keyPrefix, also when NOSCRIPT sends the script again", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("keyprefix")
        const client = yield* rawClient(server.url)
        const rl = yield* limiterOn(server.url, prefix, { limits: [hourly("a", 10)], throttle: false }, {
          ioredis: { keyPrefix: "kp:" }
        })
        const key = `kp:${Redis.keyFor(prefix, "k", ["limiter"])}`
        yield* rl.acquire({ key: "k" })
        expect(yield* Effect.promise(() => client.exists(key))).toBe(1)
        yield* Effect.promise(() => client.script("FLUSH"))
        yield* rl.acquire({ key: "k", cost: 2 })
        expect(yield* Effect.promise(() => client.keys(`*${prefix}*`))).toEqual([key])
        expect((yield* rl.snapshot("k")).limits[0]!.tokens).toBeCloseTo(7, 2)
      })))

    it.live("throttles proactively past the threshold instead of bursting into the wall", () =>
      Effect.scoped(Effect.gen(function*() {
        const rl = yield* limiterOn(server.url, uniquePrefix("throttle"), {
          limits: [Limit.custom({ name: "r", capacity: 10, refillAmount: 10, refillPeriod: "1 second" })],
          throttle: { threshold: 0.5 }
        })
        // The first half goes through back to back…
        for (let i = 0; i < 5; i++) yield* rl.tryAcquire()
        // …past it, each admission imposes a gap before the next one.
        yield* rl.tryAcquire()
        const refused = yield* Effect.flip(rl.tryAcquire())
        if (refused._tag !== "RateLimitExceeded") return expect.fail(refused._tag)
        expect(refused.limits).toEqual(["pacing"])
        expect(Duration.toMillis(refused.retryAfter)).toBeGreaterThan(30)
        expect((yield* rl.snapshot()).limits[0]!.tokens).toBeGreaterThan(3.5)
      })))
  })
}
