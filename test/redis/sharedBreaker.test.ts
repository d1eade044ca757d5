/**
 * The shared circuit breaker with several instances. Most tests use independent connections in
 * one process: every piece of state an instance could share with another lives in Redis (each
 * instance has its own connection, local machine, probe ids and change stream; nothing is
 * module-level), and Redis interleaves commands from separate connections as it does from separate
 * processes, so they test the same atomicity while the test drives each instance step by step
 * (and can kill the server under them). The last one uses real child processes, each with its own
 * event loop and clock, for the two promises that matter most: one trip opens the circuit for
 * all, and half-open probes are limited across all.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import { Context, Duration, Effect, Either, Exit, Fiber, Layer, Logger, LogLevel, type Scope, Stream } from "effect"
import type { CircuitBreakerShape } from "../../src/breaker/CircuitBreaker.js"
import * as Redis from "../../src/redis/Redis.js"
import { makeCircuitBreaker, type RedisCircuitBreakerOptions } from "../../src/redis/sharedBreaker.js"
import { skipRedis } from "./server.js"
import { uniquePrefix, useRedisServer } from "./util.js"

const classify = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? "success" as const : "failure" as const)

/** A breaker instance with its own connection. */
const breakerOn = (
  url: string,
  prefix: string,
  options: RedisCircuitBreakerOptions
): Effect.Effect<{ readonly breaker: CircuitBreakerShape; readonly redis: Redis.RedisShape }, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(Redis.layer({ url, prefix, maxReconnectDelay: "50 millis", commandTimeout: "500 millis" }))
    const breaker = yield* makeCircuitBreaker(options).pipe(Effect.provide(ctx))
    return { breaker, redis: Context.get(ctx, Redis.Redis) }
  })

describe.skipIf(skipRedis)("a circuit breaker shared through Redis", () => {
  const server = useRedisServer()

  it.live("one instance's trip opens the circuit for all; half-open admits at most the probes allowed across all", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("shared")
      const options: RedisCircuitBreakerOptions = {
        name: "api",
        failureThreshold: 3,
        recoveryTimeout: "300 millis",
        halfOpenMaxProbes: 2,
        successThreshold: 2,
        classify
      }
      const instances = yield* Effect.forEach([0, 1, 2, 3], () => breakerOn(server.url, prefix, options))
      const breakers = instances.map((i) => i.breaker)
      for (const b of breakers) expect((yield* b.state).state).toBe("closed")
      const seen = yield* Effect.forEach(breakers, (b) => b.subscribe)
      const collected = yield* Effect.forEach(seen, (s) => Effect.fork(Stream.runCollect(Stream.take(s, 1))))

      for (let i = 0; i < 3; i++) yield* Effect.either(breakers[0]!.withBreaker(Effect.fail("upstream down")))

      let ran = 0
      for (const b of breakers) {
        expect((yield* b.state).state).toBe("open")
        const refused = yield* Effect.flip(b.withBreaker(Effect.sync(() => ran++)))
        expect(refused._tag).toBe("CircuitOpenError")
        expect(refused.state).toBe("open")
        expect(Duration.toMillis(refused.remaining)).toBeGreaterThan(0)
        expect(Duration.toMillis(refused.remaining)).toBeLessThanOrEqual(300)
      }
      expect(ran).toBe(0)
      // Only the instance that made the transition reports it.
      const first = yield* Fiber.join(collected[0]!)
      expect([...first].map((c) => [c.from, c.to, c.reason])).toEqual([["closed", "open", "ConsecutiveFailures"]])
      for (const f of collected.slice(1)) yield* Fiber.interrupt(f)

      yield* Effect.sleep("350 millis")
      // 4 instances x 5 fibers ask at once; every probe stays in flight until all have asked.
      const probes = yield* Effect.forEach(
        breakers.flatMap((b) => Array.from({ length: 5 }, () => b)),
        (b) => Effect.either(b.withPermit((probe) => Effect.as(Effect.sleep("150 millis"), probe))),
        { concurrency: "unbounded" }
      )
      const admitted = probes.filter(Either.isRight)
      expect(admitted.length).toBe(2)
      expect(admitted.every((p) => p.right === true)).toBe(true)
      for (const p of probes.filter(Either.isLeft)) expect(p.left).toMatchObject({ _tag: "CircuitOpenError", state: "half-open" })
      // Two successful probes closed it, for everyone.
      for (const b of breakers) {
        const s = yield* b.state
        expect(s.state).toBe("closed")
        expect(s.trips).toBe(1)
        expect(s.rejected).toBe(4 + 18)
      }
    })))

  it.live("refuses bad options with a typed error naming the field", () =>
    Effect.scoped(Effect.gen(function*() {
      const bad: ReadonlyArray<readonly [RedisCircuitBreakerOptions, string]> = [
        [{ probeTimeout: "soon" as Duration.DurationInput }, "probeTimeout"],
        [{ probeTimeout: 0 }, "probeTimeout"],
        [{ ttl: "2 days" }, "ttl"],
        [{ failureRate: 2 }, "failureRate"]
      ]
      for (const [options, field] of bad) {
        const error = yield* Effect.flip(breakerOn(server.url, uniquePrefix("bad"), options))
        expect(error).toMatchObject({ _tag: "InvalidCircuitBreakerOptions", field })
      }
    })))

  it.live("costs one script call to admit and one to record; an ignored result costs nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const { breaker, redis } = yield* breakerOn(server.url, uniquePrefix("rtt"), { name: "api" })
      yield* breaker.state
      const calls: Array<string> = []
      const original = redis.evalScript
      ;(redis as { evalScript: typeof original }).evalScript = (s, k, a) => {
        calls.push(String(a[0]))
        return original(s, k, a)
      }
      yield* breaker.withBreaker(Effect.succeed(1))
      expect(calls).toEqual(["a", "r"])
      calls.length = 0
      // Not an upstream failure (the default classifier ignores it): nothing to write.
      yield* Effect.either(breaker.withBreaker(Effect.fail("invalid input")))
      expect(calls).toEqual(["a"])
    })))
})

describe.skipIf(skipRedis)("the shared breaker while Redis is away", () => {
  const server = useRedisServer()

  it.live("carries on from the last shared state locally, warns once, and returns to the shared state", () => {
    const logs: Array<{ readonly level: string; readonly message: string }> = []
    const logger = Logger.make(({ logLevel, message }) => {
      logs.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
    })
    return Effect.gen(function*() {
      const prefix = uniquePrefix("away")
      const options: RedisCircuitBreakerOptions = { name: "api", failureThreshold: 2, recoveryTimeout: "1 hour", classify }
      const a = yield* breakerOn(server.url, prefix, options)
      const b = yield* breakerOn(server.url, prefix, options)
      yield* Effect.either(a.breaker.withBreaker(Effect.fail("down")))
      yield* Effect.either(a.breaker.withBreaker(Effect.fail("down")))
      expect((yield* b.breaker.state).state).toBe("open")

      yield* Effect.promise(() => server.kill())
      // B still refuses, on its own copy of the last shared state; a warning, not one per call.
      for (let i = 0; i < 5; i++) {
        const refused = yield* Effect.flip(b.breaker.withBreaker(Effect.succeed(1)))
        expect(refused).toMatchObject({ _tag: "CircuitOpenError", state: "open" })
      }
      const warnings = logs.filter((l) => l.level === "WARN" && l.message.includes("circuit breaker"))
      expect(warnings.length).toBe(1)
      expect(warnings[0]!.message).toContain("local state")
      expect(warnings[0]!.message).not.toContain("redis://")
      // A local reset only applies locally.
      yield* b.breaker.force("closed")
      expect((yield* b.breaker.withBreaker(Effect.succeed(7)))).toBe(7)

      // A fresh server (no persistence): the shared state is closed, and B uses it again.
      yield* Effect.promise(() => server.restart())
      // Both back: A's failure counted on its local copy while its reconnect lagged B's (a loaded machine).
      for (let i = 0; i < 500 && !(a.redis.isReady() && b.redis.isReady()); i++) yield* Effect.sleep("10 millis")
      yield* Effect.either(a.breaker.withBreaker(Effect.fail("down")))
      const s = yield* b.breaker.state
      expect(s.state).toBe("closed")
      expect(s.consecutiveFailures).toBe(1)
      expect(logs.some((l) => l.level === "INFO" && l.message.includes("back on the shared state"))).toBe(true)
    }).pipe(
      Effect.scoped,
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Info)
    )
  })
})

/** A breaker worker process speaking one JSON line per command (see `breakerWorker.ts`). */
const startWorker = (options: Record<string, unknown>) => {
  const child = spawn(process.execPath, ["--import", "tsx", "test/redis/breakerWorker.ts", JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
  const waiting: Array<(line: string) => void> = []
  const lines = readline.createInterface({ input: child.stdout })
  lines.on("line", (line) => waiting.shift()?.(line))
  const exited = new Promise<never>((_, reject) =>
    child.on("exit", (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)))
  )
  exited.catch(() => undefined)
  const nextLine = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited])
  return {
    ready: nextLine(),
    ask: <A>(command: string): Promise<A> => {
      const reply = nextLine()
      child.stdin.write(`${command}\n`)
      return reply.then((line) => JSON.parse(line) as A)
    },
    stop: () => child.kill()
  }
}

describe.skipIf(skipRedis)("the shared breaker across processes", () => {
  const server = useRedisServer()

  it("a trip in one process opens the circuit in all; half-open probes are limited across processes", async () => {
    const prefix = uniquePrefix("procs")
    const options = { name: "api", failureThreshold: 1, recoveryTimeout: "400 millis" as const, halfOpenMaxProbes: 3 }
    const workers = [0, 1, 2].map(() => startWorker({ url: server.url, prefix, options, fibers: 8, holdMs: 300 }))
    try {
      for (const w of workers) expect(await w.ready).toBe("ready")
      // The trip happens here, in the test process.
      await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const { breaker } = yield* breakerOn(server.url, prefix, { ...options, classify })
        yield* Effect.either(breaker.withBreaker(Effect.fail("down")))
      })))
      for (const w of workers) expect(await w.ask<{ state: string }>("state")).toEqual({ state: "open" })
      await new Promise((r) => setTimeout(r, 450))
      const results = await Promise.all(workers.map((w) => w.ask<{ admitted: number; rejected: number }>("probe")))
      expect(results.reduce((n, r) => n + r.admitted, 0)).toBe(3)
      expect(results.reduce((n, r) => n + r.rejected, 0)).toBe(3 * 8 - 3)
      // Three successful probes (successThreshold 1 each): closed for all.
      for (const w of workers) expect(await w.ask<{ state: string }>("state")).toEqual({ state: "closed" })
    } finally {
      for (const w of workers) w.stop()
    }
  }, 30_000)
})
