/**
 * Shared helpers of the Redis tests: the private servers of a `describe` block or of one scoped
 * effect (started by `server.ts`, which stays free of vitest for the benchmarks), layers on them,
 * CRC16 key slots, unique prefixes.
 */
import { Effect, Layer, type Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import type { InvalidRateLimiterOptions } from "../../src/limiter/errors.js"
import type { RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import { make as makeRedis, type RedisLimiterOptions } from "../../src/redis/RedisLimiter.js"
import * as Redis from "../../src/redis/Redis.js"
import {
  type Flavor,
  type RedisCluster,
  type RedisServer,
  type SentinelSetup,
  type ServerOptions,
  startRedisCluster,
  startRedisServer,
  startSentinel
} from "./server.js"

/**
 * Something started before the tests of the enclosing `describe` block and stopped after them. The
 * value returned stands for it (its properties are read from the running one), so tests use it as
 * they would the value itself; reading it outside a test of that block throws.
 */
const useStarted = <A extends object>(start: () => Promise<A>, stop: (a: A) => Promise<void>, timeoutMs?: number): A => {
  let current: A | undefined
  beforeAll(async () => {
    current = await start()
  }, timeoutMs)
  afterAll(async () => {
    const started = current
    current = undefined
    if (started !== undefined) await stop(started)
  })
  return new Proxy({} as A, {
    get: (_target, property) => {
      if (current === undefined) throw new Error("not running: use it inside a test of the describe block that started it")
      return Reflect.get(current, property)
    }
  })
}

/** A private redis-server for the enclosing `describe` block. */
export const useRedisServer = (options?: ServerOptions): RedisServer => useStarted(() => startRedisServer(options), (s) => s.stop())

/** A private 3-master Redis Cluster for the enclosing `describe` block. */
export const useRedisCluster = (masters = 3, flavor: Flavor = "redis"): RedisCluster =>
  useStarted(() => startRedisCluster(masters, flavor), (c) => c.stop(), 30_000)

/** A private master + replica + Sentinel for the enclosing `describe` block. */
export const useSentinel = (downAfterMs?: number, flavor?: Flavor): SentinelSetup =>
  useStarted(() => startSentinel(downAfterMs, flavor), (s) => s.stop(), 30_000)

/** A private redis-server for one scoped effect, stopped when the scope closes (whatever the test did). */
export const scopedRedisServer = (options?: ServerOptions): Effect.Effect<RedisServer, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => startRedisServer(options)), (s) => Effect.promise(() => s.stop()))

let counter = 0
/** A prefix no other test uses, so tests never see each other's keys. */
export const uniquePrefix = (label: string): string => `t${process.pid}-${++counter}-${label}`

/** The Redis service on the private server. */
export const redisLayer = (url: string, prefix: string, extra: Omit<Redis.RedisConnectionOptions, "url" | "prefix"> = {}) =>
  Redis.layer({ url, prefix, ...extra })

/** The Redis service on a private cluster (seed nodes). */
export const clusterLayer = (seeds: ReadonlyArray<string>, prefix: string, extra: Omit<Redis.RedisClusterOptions, "nodes" | "prefix"> = {}) =>
  Redis.layerCluster({ nodes: seeds, prefix, ...extra })

/** The service of `layer`, built in the scope (its own connections, as a separate worker would have). */
export const connection = <E>(layer: Layer.Layer<Redis.Redis, E>): Effect.Effect<Layer.Layer<Redis.Redis>, E, Scope.Scope> =>
  Effect.map(Layer.build(layer), (ctx) => Layer.succeedContext(ctx))

/** A limiter instance on its own connection built from `layer`. */
export const limiterWith = <E>(
  layer: Layer.Layer<Redis.Redis, E>,
  options: RedisLimiterOptions
): Effect.Effect<RateLimiterShape, E | InvalidRateLimiterOptions, Scope.Scope> =>
  Effect.flatMap(connection(layer), (conn) => makeRedis(options).pipe(Effect.provide(conn)))

/** A limiter instance with its own connection (as a separate worker would have). */
export const limiterOn = (
  url: string,
  prefix: string,
  options: RedisLimiterOptions,
  extra: Omit<Redis.RedisConnectionOptions, "url" | "prefix"> = {}
): Effect.Effect<RateLimiterShape, Redis.RedisError | Redis.RedisVersionUnsupported | InvalidRateLimiterOptions, Scope.Scope> =>
  limiterWith(redisLayer(url, prefix, extra), options)

/** A raw ioredis client for inspecting the server (closed by the scope). */
export const rawClient = (url: string): Effect.Effect<IORedis, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new IORedis(url, { maxRetriesPerRequest: 1 })),
    (c) => Effect.promise(() => c.quit().catch(() => undefined))
  )

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let crc = i << 8
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[i] = crc
  }
  return table
})()

/** CRC16-XMODEM, the checksum Redis Cluster uses for key slots. */
export const crc16 = (bytes: Uint8Array): number => {
  let crc = 0
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ b) & 0xff]!
  return crc
}

/** The cluster slot of a key: hash only the `{tag}` part when there is a non-empty one. */
export const keySlot = (key: string): number => {
  const open = key.indexOf("{")
  if (open !== -1) {
    const close = key.indexOf("}", open + 1)
    if (close > open + 1) key = key.slice(open + 1, close)
  }
  return crc16(new TextEncoder().encode(key)) % 16384
}

/**
 * `count` entity names per third of the slot space (redis-cli splits 16384 slots evenly over 3
 * masters), so keys of a test land on every master of a 3-node cluster.
 */
export const namesOnEveryMaster = (prefix: string, count: number, suffix: string, label = "k"): ReadonlyArray<string> => {
  const thirds: Array<Array<string>> = [[], [], []]
  for (let i = 0; thirds.some((t) => t.length < count); i++) {
    const name = `${label}${i}`
    const third = Math.min(2, Math.floor(keySlot(Redis.keyFor(prefix, name, [suffix])) / (16384 / 3)))
    if (thirds[third]!.length < count) thirds[third]!.push(name)
  }
  return thirds.flat()
}

export { maxOvershoot, scriptCalls } from "./measure.js"
