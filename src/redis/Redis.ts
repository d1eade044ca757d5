/**
 * The `Redis` connection service shared by every Redis-backed store (rate limiter, adaptive rate,
 * response cache): one ioredis client per layer (a standalone server, a Redis Cluster, or a master
 * behind Sentinel: see `topology.ts`), closed when the layer is released, a key namespace with
 * Redis Cluster hash tags, Lua scripts run with EVALSHA (reloaded on NOSCRIPT), and failures mapped
 * to a typed {@link RedisError} quickly instead of queueing forever.
 *
 * @since 0.1.0
 */
import { type Clock, type Config, type ConfigError, Context, Effect, Layer, Runtime, type Scope } from "effect"
import type { Cluster, Redis as IORedis } from "ioredis"
import { topologyConfig } from "./config.js"
import { kindOf, RedisError, toRedisError } from "./errors.js"
import { initialThrottle, noteEvent } from "../internal/reportThrottle.js"
import { encodeCommand, noop, type PreparedCallback, PreparedCommand, type PreparedScript, Watchdog } from "./prepared.js"
import { evalSha, evalText, isNoScript, loadOn, type LuaScript } from "./script.js"
import {
  createClient,
  maxReconnectDelayOf,
  type RedisClusterOptions,
  type RedisCommonOptions,
  type RedisConnectionOptions,
  type RedisSentinelOptions,
  type RedisTopology
} from "./topology.js"
import { checkServerInfo, formatVersion, minimumVersion, parseRedisMode, RedisVersionUnsupported } from "./version.js"

export {
  /** @since 0.1.0 */
  defaultNames,
  /** @since 0.1.0 */
  topologyConfig
} from "./config.js"
export {
  /** @since 0.1.0 */
  type FailureKind,
  /** @since 0.1.0 */
  isOutage,
  /** @since 0.1.0 */
  kindOf,
  /** @since 0.1.0 */
  RedisError
} from "./errors.js"
export {
  /** @since 0.1.0 */
  type PreparedCallback,
  /** @since 0.1.0 */
  type PreparedScript
} from "./prepared.js"
export {
  /** @since 0.1.0 */
  type LuaScript,
  /** @since 0.1.0 */
  script
} from "./script.js"
export {
  /** @since 0.1.0 */
  type RedisClusterOptions,
  /** @since 0.1.0 */
  type RedisCommonOptions,
  /** @since 0.1.0 */
  type RedisConnectionOptions,
  /** @since 0.1.0 */
  type RedisNode,
  /** @since 0.1.0 */
  type RedisSentinelOptions,
  /** @since 0.1.0 */
  type RedisTopology
} from "./topology.js"
export {
  /** @since 0.1.0 */
  minimumVersion,
  /** @since 0.1.0 */
  RedisVersionUnsupported
} from "./version.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisShape {
  /**
   * The underlying ioredis client (for commands this service does not wrap): a `Cluster` on a Redis
   * Cluster, which routes each command to the master of its key's slot.
   */
  readonly client: IORedis | Cluster
  /** Which deployment the client is for. */
  readonly topology: RedisTopology["_tag"]
  /**
   * A connection to every master: the one client on a standalone server or behind Sentinel, one per
   * master on a cluster (for per-node commands: SCAN, SCRIPT LOAD). Empty while not connected.
   */
  readonly masters: () => ReadonlyArray<IORedis>
  /** The namespace given as `prefix`. */
  readonly prefix: string
  /**
   * The key of `entity`, with a hash tag `{prefix:entity}` so that every key of one entity lives in
   * one cluster slot; `parts` are appended after the tag (`{governor:github}:cache`). Braces and `%`
   * in `entity` are percent-encoded so an entity can never end the hash tag early.
   */
  readonly key: (entity: string, ...parts: ReadonlyArray<string>) => string
  /** Whether the connection is ready now (commands fail fast with `"unavailable"` when not). */
  readonly isReady: () => boolean
  /** Run one ioredis call, mapping failures to `RedisError`. */
  readonly command: <A>(operation: string, run: (client: IORedis | Cluster) => Promise<A>) => Effect.Effect<A, RedisError>
  /**
   * Run a script: one EVALSHA round trip; if the server does not know the script (restart,
   * SCRIPT FLUSH) it is sent once with EVAL, which also caches it again.
   */
  readonly evalScript: (
    script: LuaScript,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number | Buffer>
  ) => Effect.Effect<unknown, RedisError>
  /**
   * Encode an EVALSHA call once, for hot paths that repeat the same call: {@link runPrepared} then
   * writes the cached bytes as they are (no per-call argument encoding) and watches its command
   * timeout with one timer per connection instead of one per command.
   */
  readonly prepareScript: (
    script: LuaScript,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number | Buffer>
  ) => PreparedScript
  /**
   * Run a prepared call: one EVALSHA round trip, EVAL once on NOSCRIPT, like {@link evalScript}
   * (same replies; errors as ioredis threw them, or a `RedisError`: map them with {@link toRedisError}).
   * `done` is called exactly once, possibly before `runPrepared` returns (connection not writable).
   */
  readonly runPrepared: (call: PreparedScript, done: PreparedCallback) => void
  /** SCRIPT LOAD (on every master), so the first EVALSHA hits. Optional: `evalScript` recovers from NOSCRIPT anyway. */
  readonly loadScript: (script: LuaScript) => Effect.Effect<void, RedisError>
}

/**
 * The Redis connection service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Redis extends Context.Tag("effect-governor/Redis")<Redis, RedisShape>() {}

const encodeEntity = (entity: string): string => entity.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * The key layout used by every store: `{prefix:entity}` then `:part` for each part. Pure.
 *
 * @since 0.1.0
 * @category keys
 */
export const keyFor = (prefix: string, entity: string, parts: ReadonlyArray<string> = []): string =>
  `{${prefix}:${encodeEntity(entity)}}${parts.map((p) => `:${p}`).join("")}`


interface ServerCheck {
  readonly version: ReturnType<typeof checkServerInfo>
  /** Why this client does not fit the server, when it does not. */
  readonly misfit: string | undefined
}

/** A client of this kind talking to a server of this `redis_mode`: undefined when they fit. Pure. */
const misfitOf = (kind: RedisTopology["_tag"], mode: string | undefined): string | undefined =>
  kind !== "cluster" && mode === "cluster"
    ? "the server is a Redis Cluster node (redis_mode:cluster): use Redis.layerCluster with its nodes"
    : mode === "sentinel"
    ? "the server is a Sentinel (redis_mode:sentinel): use Redis.layerSentinel with the master's name"
    : undefined

/** `INFO server` on a ready connection, judged; a failed INFO (ACL NOPERM, timeout) is `"unknown"`. */
const checkServer = (client: IORedis | Cluster, kind: RedisTopology["_tag"]): Promise<ServerCheck> =>
  client.info("server").then(
    (info) => ({ version: checkServerInfo(info), misfit: misfitOf(kind, parseRedisMode(info)) }),
    () => ({ version: "unknown" as const, misfit: undefined })
  )

/** A misconfiguration is logged as an error at most this often. */
const MISCONFIGURED_LOG_INTERVAL_MS = 30_000

/**
 * The client of a topology with its event handling, disconnected when the scope closes. Connection
 * losses are logged once per outage; whenever ioredis gives up (a failed first connect, a disconnect
 * mid-reconnection) it is told to connect again after the backoff, until the scope closes: that is
 * how stores recover.
 */
const acquireClient = (
  topology: RedisTopology,
  log: (message: string) => void,
  onReady: (client: IORedis | Cluster) => void
): Effect.Effect<IORedis | Cluster, RedisError, Scope.Scope> => {
  let closing = false
  const maxDelay = maxReconnectDelayOf(topology.options)
  return Effect.acquireRelease(
    Effect.try({ try: () => createClient(topology), catch: (cause) => toRedisError("connect", cause) }).pipe(
      Effect.map((c) => {
        let down = false
        // Without an 'error' listener ioredis errors would crash the process.
        const lost = (error: Error) => {
          if (!down) {
            down = true
            log(`Redis connection lost: ${error.message.slice(0, 200)}; reconnecting in the background`)
          }
        }
        c.on("error", lost)
        // A cluster reports each node's connection errors separately (the cluster may stay ready).
        if (topology._tag === "cluster") c.on("node error", lost)
        c.on("end", () => {
          if (!closing) setTimeout(() => !closing && c.status === "end" && c.connect().catch(noop), maxDelay).unref()
        })
        c.on("ready", () => {
          if (down) {
            down = false
            log("Redis connection restored")
          }
          onReady(c)
        })
        return c
      })
    ),
    (c) =>
      Effect.sync(() => {
        closing = true
        c.disconnect()
      })
  )
}

/**
 * Logs a misconfiguration as an error (at most every `MISCONFIGURED_LOG_INTERVAL_MS`, counting the
 * ones in between) and hands it back: every store fails on it instead of applying onUnavailable.
 */
const misconfigurationReporter = (runtime: Runtime.Runtime<never>, clock: Clock.Clock) => {
  let reports = initialThrottle
  return (error: RedisError): RedisError => {
    if (kindOf(error) !== "misconfigured") return error
    const next = noteEvent(reports, clock.unsafeCurrentTimeMillis(), MISCONFIGURED_LOG_INTERVAL_MS)
    reports = next.state
    if (next.report !== undefined) {
      const count = next.report > 1 ? ` (${next.report} since the last report)` : ""
      Runtime.runFork(runtime)(Effect.logError(`${error.message}; the stores fail rather than apply onUnavailable${count}`))
    }
    return error
  }
}

/**
 * Prepared script calls on `client` (`prepared.ts`): encoded once with ioredis' own `keyPrefix`
 * applied to their keys (as it is for `evalsha`), their timeouts kept by one watchdog closed with the
 * scope; a NOSCRIPT reply is answered by sending the script's text.
 */
const preparedRunner = (
  client: IORedis | Cluster,
  misfit: () => RedisError | undefined,
  noted: (error: RedisError) => RedisError
): Effect.Effect<Pick<RedisShape, "prepareScript" | "runPrepared">, never, Scope.Scope> =>
  Effect.gen(function*() {
    const watchdog = new Watchdog()
    yield* Effect.addFinalizer(() => Effect.sync(() => watchdog.close()))
    const configuredPrefix = (client.options as { readonly keyPrefix?: unknown }).keyPrefix
    const keyPrefix = typeof configuredPrefix === "string" ? configuredPrefix : ""
    const failed = (call: PreparedScript, done: PreparedCallback, error: Error): void => {
      if (isNoScript(error)) {
        evalText(client, call.script, call.keys, call.args).then(
          (reply) => done(undefined, reply),
          (error: Error) => done(error)
        )
      } else {
        if (kindOf(error) === "misconfigured") noted(toRedisError(call.script.name, error))
        done(error)
      }
    }
    return {
      prepareScript: (s, keys, args) => {
        const argv = [s.sha, keys.length, ...keys.map((k) => keyPrefix + k), ...args]
        return { script: s, keys, args, argv, bytes: encodeCommand(["evalsha", ...argv]) }
      },
      runPrepared: (call, done) => {
        const m = misfit()
        if (m !== undefined) return done(m)
        void client.sendCommand(new PreparedCommand(call.bytes, call, watchdog, done, failed))
      }
    }
  })

/**
 * Build the service for a topology. Connecting to a server older than Redis 6.0 fails with
 * {@link RedisVersionUnsupported}; a standalone or Sentinel client reaching a cluster node (or a
 * sentinel) fails with a `RedisError` of reason `"misconfigured"`. The connections are closed when
 * the scope closes, at once: no QUIT round trip (a stopped server would never answer it), the
 * socket is ended and destroyed if the server has not closed its side within 100 ms.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTopology = (
  topology: RedisTopology
): Effect.Effect<RedisShape, RedisError | RedisVersionUnsupported, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const clock = yield* Effect.clock
    const log = (message: string) => Runtime.runFork(runtime)(Effect.logWarning(message))
    const kind = topology._tag
    const options: RedisCommonOptions = topology.options
    const prefix = options.prefix ?? "governor"
    // Set while the server of the current connection is too old (checked on every `ready`).
    let unsupported: RedisVersionUnsupported | undefined = undefined
    // Set while the server does not fit this kind of client (checked on every `ready`).
    let misfit: RedisError | undefined = undefined
    let started = false
    const noted = misconfigurationReporter(runtime, clock)

    const client = yield* acquireClient(topology, log, (c) => {
      // A reconnection may reach another server (failover): check it too, off the start path.
      if (started) void checkServer(c, kind).then(onCheck, noop)
    })
    const onCheck = (check: ServerCheck): void => {
      const was = unsupported
      const verdict = check.version
      unsupported = verdict instanceof RedisVersionUnsupported ? verdict : undefined
      if (unsupported !== undefined && was === undefined) {
        Runtime.runFork(runtime)(Effect.logError(`${unsupported.message}; Redis is treated as unavailable`))
      } else if (verdict === "unknown") {
        log(`could not read the Redis version (INFO server); the stores need Redis >= ${formatVersion(minimumVersion)}`)
      }
      misfit = check.misfit === undefined ? undefined : noted(new RedisError({ operation: "connect", reason: "misconfigured", detail: check.misfit }))
    }

    const connected = yield* Effect.tryPromise({
      try: () => client.connect(),
      catch: (cause) => toRedisError("connect", cause)
    }).pipe(Effect.as(true), Effect.catchAll((error) => options.requireConnection === true ? Effect.fail(error) : Effect.succeed(false)))
    if (connected) {
      const check = yield* Effect.promise(() => checkServer(client, kind))
      if (check.version instanceof RedisVersionUnsupported) return yield* Effect.fail(check.version)
      if (check.misfit !== undefined) {
        return yield* Effect.fail(noted(new RedisError({ operation: "connect", reason: "misconfigured", detail: check.misfit })))
      }
      onCheck(check)
    } else {
      log("Redis not reachable at startup; stores apply their onUnavailable policy until it is")
    }
    started = true

    const masters = (): ReadonlyArray<IORedis> =>
      kind === "cluster" ? (client as Cluster).nodes("master") : [client as IORedis]
    const isReady = () => client.status === "ready" && unsupported === undefined
    const command = <A>(operation: string, run: (client: IORedis | Cluster) => Promise<A>): Effect.Effect<A, RedisError> =>
      !isReady()
        ? Effect.fail(
          new RedisError({ operation, reason: "unavailable", detail: unsupported?.message ?? `connection ${client.status}` })
        )
        : misfit !== undefined
        ? Effect.fail(misfit)
        : Effect.tryPromise({ try: () => run(client), catch: (cause) => noted(toRedisError(operation, cause)) })

    const evalScript = (s: LuaScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number | Buffer>) =>
      command(s.name, (c) => evalSha(c, s, keys, args))

    const { prepareScript, runPrepared } = yield* preparedRunner(client, () => misfit, noted)

    return {
      client,
      topology: kind,
      masters,
      prefix,
      key: (entity, ...parts) => keyFor(prefix, entity, parts),
      isReady,
      command,
      evalScript,
      prepareScript,
      runPrepared,
      loadScript: (s) =>
        command(`SCRIPT LOAD ${s.name}`, () => loadOn(masters(), s))
    } satisfies RedisShape
  })

/**
 * The service on a standalone server (see {@link makeTopology}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RedisConnectionOptions = {}) => makeTopology({ _tag: "standalone", options })

/**
 * A layer on a standalone server.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedisConnectionOptions = {}): Layer.Layer<Redis, RedisError | RedisVersionUnsupported> =>
  Layer.scoped(Redis, make(options))

/**
 * A layer on a Redis Cluster: an ioredis `Cluster` from seed nodes, routing every key to the master
 * of its slot (all keys of one decision share a hash tag, so one slot).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCluster = (options: RedisClusterOptions): Layer.Layer<Redis, RedisError | RedisVersionUnsupported> =>
  Layer.scoped(Redis, makeTopology({ _tag: "cluster", options }))

/**
 * A layer on the master that Sentinel designates (`sentinels` + master `name`); after a failover
 * the client asks the sentinels again and reconnects to the new master.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSentinel = (options: RedisSentinelOptions): Layer.Layer<Redis, RedisError | RedisVersionUnsupported> =>
  Layer.scoped(Redis, makeTopology({ _tag: "sentinel", options }))

/**
 * A layer configured through Effect `Config` (see {@link topologyConfig}: `REDIS_CLUSTER_NODES`,
 * `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`, or `REDIS_URL`; `REDIS_PASSWORD` redacted;
 * `REDIS_PREFIX`), or any `Config` of a topology you pass; `options` (timeouts…) apply to all.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<RedisTopology> = topologyConfig(),
  options: Omit<RedisCommonOptions, "username" | "password" | "prefix"> = {}
): Layer.Layer<Redis, RedisError | RedisVersionUnsupported | ConfigError.ConfigError> =>
  Layer.scoped(
    Redis,
    Effect.flatMap(config, (t) => makeTopology({ ...t, options: { ...options, ...t.options } } as RedisTopology))
  )
