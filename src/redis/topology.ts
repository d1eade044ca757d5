/**
 * How to reach Redis: a standalone server (URL or host/port), a Redis Cluster (seed nodes, an
 * ioredis `Cluster` that routes each key to the master of its slot) or a master behind Sentinel
 * (sentinels + master name). Builds the ioredis client with the options every store relies on:
 * fail at once while disconnected (no offline queue), reconnect forever in the background with
 * capped backoff, short close.
 *
 * @since 0.1.0
 */
import { Duration, Redacted } from "effect"
import { Cluster, type ClusterOptions, Redis as IORedis, type RedisOptions as IORedisOptions } from "ioredis"

/**
 * One node: a cluster seed or a sentinel.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisNode {
  readonly host: string
  readonly port: number
}

/**
 * Options shared by every topology. Secrets are `Redacted` and never logged.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisCommonOptions {
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Namespace of every key written, default `"governor"`. Keys look like `{governor:<entity>}:<part>`. */
  readonly prefix?: string | undefined
  /** Time to establish a connection; default 2 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Longest a single command may take before failing with `reason: "timeout"`; default 1 second. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** Longest pause between reconnection attempts (backoff grows up to it); default 1 second. */
  readonly maxReconnectDelay?: Duration.DurationInput | undefined
  /**
   * Fail building the layer when the first connection cannot be made. Default `false`: the layer is
   * built anyway, commands fail with `RedisError` (`"unavailable"`) and the client keeps reconnecting
   * in the background, so stores can apply their `onUnavailable` policy and recover on their own.
   */
  readonly requireConnection?: boolean | undefined
}

/**
 * A standalone server: either `url` (`redis://user:pass@host:6379/0`, `rediss://` for TLS) or
 * `host`/`port`/`db`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisConnectionOptions extends RedisCommonOptions {
  readonly url?: Redacted.Redacted<string> | string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly db?: number | undefined
  /** Extra ioredis options (TLS…); the ones above win. */
  readonly ioredis?: IORedisOptions | undefined
}

/**
 * A Redis Cluster: some of its nodes (`"host:port"` or `{ host, port }`); the client discovers the
 * rest and follows the slot map as it changes. `username`/`password` apply to every node.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisClusterOptions extends RedisCommonOptions {
  readonly nodes: ReadonlyArray<RedisNode | string>
  /** Extra ioredis `Cluster` options (`natMap`, TLS in `redisOptions`…); the ones above win. */
  readonly ioredis?: ClusterOptions | undefined
}

/**
 * A master found through Sentinel: the sentinels (`"host:port"` or `{ host, port }`) and the name
 * of the master they monitor. `username`/`password` are the master's; `sentinelUsername` /
 * `sentinelPassword` the sentinels' own, when they require one.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisSentinelOptions extends RedisCommonOptions {
  readonly sentinels: ReadonlyArray<RedisNode | string>
  readonly name: string
  readonly sentinelUsername?: string | undefined
  readonly sentinelPassword?: Redacted.Redacted<string> | undefined
  readonly db?: number | undefined
  /** Extra ioredis options (TLS…); the ones above win. */
  readonly ioredis?: IORedisOptions | undefined
}

/**
 * Which deployment a client is for, with its options.
 *
 * @since 0.1.0
 * @category models
 */
export type RedisTopology =
  | { readonly _tag: "standalone"; readonly options: RedisConnectionOptions }
  | { readonly _tag: "cluster"; readonly options: RedisClusterOptions }
  | { readonly _tag: "sentinel"; readonly options: RedisSentinelOptions }

/**
 * `"host:port"` (`"[::1]:7000"` for IPv6) as a node; `undefined` when it is not one. Pure.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseNode = (text: string): RedisNode | undefined => {
  const match = /^\s*(?:\[([^\]]+)\]|([^\s:[\]]+)):(\d{1,5})\s*$/.exec(text)
  if (match === null) return undefined
  const port = Number(match[3])
  return port > 0 && port < 65536 ? { host: match[1] ?? match[2]!, port } : undefined
}

const nodeOf = (what: string) => (node: RedisNode | string): RedisNode => {
  if (typeof node !== "string") return node
  const parsed = parseNode(node)
  if (parsed === undefined) throw new Error(`${what}: "${node.slice(0, 100)}" is not host:port`)
  return parsed
}

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.decode(d))

/**
 * How long a closing connection waits for the server to close its side before the socket is
 * destroyed (ioredis' `disconnectTimeout`, 2 s by default, a timer that keeps the process alive):
 * a healthy server closes at once, a dead or stopped one never does.
 */
const CLOSE_GRACE_MS = 100

/** Reconnection backoff: 100 ms doubling up to `maxDelay`. */
export const backoff = (maxDelay: number) => (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay)

/** Options of one connection (a standalone server, a Sentinel master, or each cluster node). */
const connectionOptions = (options: RedisCommonOptions) => ({
  ...(options.username !== undefined ? { username: options.username } : {}),
  ...(options.password !== undefined ? { password: Redacted.value(options.password) } : {}),
  connectTimeout: millis(options.connectTimeout, 2000),
  commandTimeout: millis(options.commandTimeout, 1000),
  disconnectTimeout: CLOSE_GRACE_MS,
  // Fail at once while disconnected instead of queueing: stores decide what to do (fail closed,
  // fail open, local fallback) and an outage is detected in microseconds, not after retries.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  lazyConnect: true
})

/** Reconnection delay at most this (ms). */
export const maxReconnectDelayOf = (options: RedisCommonOptions): number => millis(options.maxReconnectDelay, 1000)

/**
 * The ioredis client of a topology, not connected yet (`lazyConnect`). Throws on a node that is not
 * `host:port`.
 *
 * @since 0.1.0
 * @internal
 */
export const createClient = (topology: RedisTopology): IORedis | Cluster => {
  const maxDelay = maxReconnectDelayOf(topology.options)
  const base = { ...connectionOptions(topology.options), enableOfflineQueue: false }
  switch (topology._tag) {
    case "standalone": {
      const o = topology.options
      const url = o.url === undefined ? undefined : Redacted.isRedacted(o.url) ? Redacted.value(o.url) : o.url
      const io: IORedisOptions = {
        ...o.ioredis,
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.db !== undefined ? { db: o.db } : {}),
        ...base,
        // Reconnect forever in the background (that is how stores recover), with capped backoff.
        retryStrategy: backoff(maxDelay)
      }
      return url === undefined ? new IORedis(io) : new IORedis(url, io)
    }
    case "sentinel": {
      const o = topology.options
      return new IORedis({
        ...o.ioredis,
        sentinels: o.sentinels.map(nodeOf("Redis sentinel")),
        name: o.name,
        ...(o.sentinelUsername !== undefined ? { sentinelUsername: o.sentinelUsername } : {}),
        ...(o.sentinelPassword !== undefined ? { sentinelPassword: Redacted.value(o.sentinelPassword) } : {}),
        ...(o.db !== undefined ? { db: o.db } : {}),
        ...base,
        retryStrategy: backoff(maxDelay),
        sentinelRetryStrategy: backoff(maxDelay),
        // A demoted master (manual failover) answers READONLY without closing: ask the sentinels again.
        // (Not ioredis' `failoverDetector`: its disconnect during a reconnection ends the client.)
        reconnectOnError: (error) => /^READONLY/.test(error.message) ? 1 : false
      })
    }
    case "cluster": {
      const o = topology.options
      const { lazyConnect: _lazy, ...node } = connectionOptions(o)
      return new Cluster(o.nodes.map(nodeOf("Redis Cluster node")) as Array<RedisNode>, {
        ...o.ioredis,
        redisOptions: { ...o.ioredis?.redisOptions, ...node },
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff(maxDelay),
        slotsRefreshTimeout: millis(o.connectTimeout, 2000)
      })
    }
  }
}
