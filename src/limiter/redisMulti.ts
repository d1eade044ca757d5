/**
 * The multi-key operations on Redis: each is one call of the hierarchy script (`hierarchyScript.ts`)
 * over the levels' keys, which the caller puts under one hash tag (one cluster slot). Like the
 * single-key store (`redisStore.ts`) it talks to Redis through a port built by `src/redis`, so this
 * module never loads `ioredis`.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect } from "effect"
import type { Clock } from "effect"
import type * as Bucket from "./bucket.js"
import { encodeMany, type ManyLimit, ManyOp, type ManyParams } from "./hierarchyScript.js"
import * as Limit from "./Limit.js"
import { admitted, type Level, type LevelBlock, type ManyDecision, type MultiKeyStore, type UsageRead } from "./LimiterStore.js"
import type { StoreFailure } from "./redisStore.js"
import type { Peek } from "./snapshot.js"
import type { UsageSettings } from "./usageRing.js"

/**
 * What the multi-key store needs from a connection: running the hierarchy script.
 *
 * @since 0.1.0
 * @category models
 */
export interface ManyPort<P = unknown> {
  readonly isReady: () => boolean
  readonly notReady: StoreFailure
  readonly run: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => Effect.Effect<unknown, StoreFailure>
  /** Encode a call once (the hot path resends the same bytes). */
  readonly prepare: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => P
  /** Run a prepared call; `done` is called exactly once with the raw reply or what was thrown. */
  readonly runPrepared: (call: P, done: (error: Error | undefined, reply?: unknown) => void) => void
  readonly failure: (cause: unknown) => StoreFailure
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisMultiSettings {
  readonly minIntervalMs: number
  readonly keyTtlMarginMs: number
  readonly rateTtlMs: number
  /** Proactive throttling threshold, `-1` when off. */
  readonly throttleAt: number
  readonly usage: UsageSettings | undefined
}

type Fields = ReadonlyArray<string | number>

const ADMITTED: Effect.Effect<ManyDecision> = Effect.succeed(admitted)

const names = new WeakMap<Bucket.BucketSpec, Uint8Array>()
const nameOf = (spec: Bucket.BucketSpec): Uint8Array => {
  let n = names.get(spec)
  if (n === undefined) {
    n = Buffer.from(spec.name, "utf8")
    names.set(spec, n)
  }
  return n
}
const labels = new Map<string, Uint8Array>()
const labelOf = (label: string): Uint8Array => {
  let l = labels.get(label)
  if (l === undefined) {
    if (labels.size >= 10_000) labels.clear()
    l = Buffer.from(label, "utf8")
    labels.set(label, l)
  }
  return l
}
const NO_LABEL = new Uint8Array(0)

const windowAt = (spec: Bucket.BucketSpec, serverNow: number): readonly [number, number] | undefined =>
  spec.fixed ? [Limit.fixedWindowStart(spec.limit, serverNow), Limit.fixedWindowEnd(spec.limit, serverNow)] : undefined

const encodeLevels = (params: ManyParams, levels: ReadonlyArray<Level>, counted: boolean, serverNow: number): Buffer =>
  encodeMany(
    params,
    levels.map(({ req, usage }) =>
      req.set.specs.map((spec, i): ManyLimit => ({
        name: nameOf(spec),
        capacity: spec.capacity,
        refillAmount: spec.refillAmount,
        periodMs: spec.periodMs,
        fixed: spec.fixed,
        amount: req.costs[i]!,
        window: windowAt(spec, serverNow),
        label: counted && usage !== undefined ? labelOf(usage.labels[i]!) : NO_LABEL
      }))
    )
  )

/** `{"wait", now, waitMs, (index, waitMs, count, names...)...}` as a refusal: wait at least 1 ms. */
const refusal = (reply: Fields): ManyDecision => {
  const blocked: Array<LevelBlock> = []
  let i = 3
  while (i < reply.length) {
    const count = Number(reply[i + 2])
    blocked.push({ level: Number(reply[i]), waitMs: Number(reply[i + 1]), blockedBy: reply.slice(i + 3, i + 3 + count).map(String) })
    i += 3 + count
  }
  return { admitted: false, waitMs: Math.max(1, Math.ceil(Number(reply[2]))), blocked }
}

/** `{"peek", now, (cd, pr, tokens...)...}` read against the levels' limits. */
const peeks = (levels: ReadonlyArray<Level>, reply: Fields): Array<Peek> => {
  const now = Number(reply[1])
  let i = 2
  return levels.map(({ req }) => {
    const cd = reply[i]
    const pr = reply[i + 1]
    i += 2
    const buckets = req.set.specs.map((spec) => ({ spec, tokens: Number(reply[i++]) }))
    return { now, buckets, cooldownUntil: cd === "" ? null : Number(cd), adaptiveRate: pr === "" ? null : Number(pr) }
  })
}

/**
 * The multi-key operations over `port`. `clock` only guesses the server's time for fixed windows
 * (a wrong guess is answered `stale` with the server time, and asked again).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRedisMulti = <P>(port: ManyPort<P>, settings: RedisMultiSettings, clock: Clock.Clock): MultiKeyStore<StoreFailure> => {
  const usage = settings.usage
  const params: ManyParams = [
    settings.minIntervalMs,
    settings.keyTtlMarginMs,
    settings.throttleAt,
    settings.rateTtlMs,
    usage?.intervalMs ?? 0,
    usage?.slots ?? 0
  ]
  let offset = 0
  const keysOf = (levels: ReadonlyArray<Level>, counted: boolean) => {
    const keys = levels.map((l) => l.key)
    if (counted) for (const l of levels) keys.push(l.usage!.ring)
    return keys
  }
  const countedOf = (op: string, levels: ReadonlyArray<Level>) =>
    op === ManyOp.acquire && usage !== undefined && levels.every((l) => l.usage !== undefined)
  const run = (op: string, levels: ReadonlyArray<Level>): Effect.Effect<number | Fields, StoreFailure> => {
    if (!port.isReady()) return Effect.fail(port.notReady)
    const counted = countedOf(op, levels)
    const keys = keysOf(levels, counted)
    const clientNow = clock.unsafeCurrentTimeMillis()
    const loop = (serverNow: number, attempts: number): Effect.Effect<number | Fields, StoreFailure> =>
      Effect.flatMap(port.run(keys, [op, encodeLevels(params, levels, counted, serverNow)]), (raw) => {
        const reply = raw as number | Fields
        if (typeof reply === "number") return Effect.succeed(reply)
        offset = Number(reply[1]) - clientNow
        return reply[0] === "stale" && attempts < 5 ? loop(Number(reply[1]), attempts + 1) : Effect.succeed(reply)
      })
    return loop(clientNow + offset, 0)
  }
  // Rolling-only acquires never go stale: their call is encoded once per levels array (planners reuse
  // the array of an unchanged plan).
  const prepared = new WeakMap<ReadonlyArray<Level>, P>()
  const preparedCall = (levels: ReadonlyArray<Level>): P | undefined => {
    let call = prepared.get(levels)
    if (call === undefined) {
      if (levels.some((l) => l.req.set.specs.some((s) => s.fixed))) return undefined
      const counted = countedOf(ManyOp.acquire, levels)
      call = port.prepare(keysOf(levels, counted), [ManyOp.acquire, encodeLevels(params, levels, counted, 0)])
      prepared.set(levels, call)
    }
    return call
  }
  const acquireMany = (levels: ReadonlyArray<Level>): Effect.Effect<ManyDecision, StoreFailure> => {
    if (!port.isReady()) return Effect.fail(port.notReady)
    const call = preparedCall(levels)
    if (call === undefined) return Effect.map(run(ManyOp.acquire, levels), (reply) => (typeof reply === "number" ? admitted : refusal(reply)))
    return Effect.async<ManyDecision, StoreFailure>((resume) => {
      port.runPrepared(call, (error, raw) => {
        if (typeof raw === "number") resume(ADMITTED)
        else if (error !== undefined) resume(Effect.fail(port.failure(error)))
        else resume(Effect.succeed(refusal(raw as Fields)))
      })
    })
  }
  return {
    acquireMany,
    peekMany: (levels) => Effect.map(run(ManyOp.peek, levels), (reply) => peeks(levels, reply as Fields)),
    readUsage: (ring) =>
      port.isReady()
        ? Effect.map(port.run([ring], [ManyOp.usage]), (raw): UsageRead => {
          const reply = raw as ReadonlyArray<string>
          const entries: Array<readonly [string, string]> = []
          for (let i = 1; i + 1 < reply.length; i += 2) entries.push([String(reply[i]), String(reply[i + 1])])
          return { now: Number(reply[0]), entries }
        })
        : Effect.fail(port.notReady)
  }
}
