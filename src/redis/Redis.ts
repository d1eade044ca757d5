/**
 * The `Redis` connection service shared by every Redis-backed store (rate limiter, adaptive rate,
 * response cache): one ioredis connection per layer, closed when the layer is released, a key
 * namespace with Redis Cluster hash tags, Lua scripts run with EVALSHA (reloaded on NOSCRIPT), and
 * failures mapped to a typed {@link RedisError} quickly instead of queueing forever.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Runtime, Schema } from "effect"
import { Command, Redis as IORedis, type RedisOptions as IORedisOptions } from "ioredis"
import { checkServerInfo, formatVersion, minimumVersion, RedisVersionUnsupported } from "./version.js"

export {
  /** @since 0.1.0 */
  minimumVersion,
  /** @since 0.1.0 */
  RedisVersionUnsupported
} from "./version.js"

/**
 * A Redis command or connection failed. `reason` says how: `"unavailable"` (not connected, connection
 * lost), `"timeout"` (no answer within `commandTimeout`), `"command"` (Redis answered with an error).
 * Never carries the connection URL or password.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisError extends Schema.TaggedError<RedisError>()("RedisError", {
  operation: Schema.String,
  reason: Schema.Literal("unavailable", "timeout", "command"),
  detail: Schema.String
}) {
  override get message(): string {
    return `Redis ${this.operation} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * How to reach Redis. Either `url` (`redis://user:pass@host:6379/0`, `rediss://` for TLS) or
 * `host`/`port`/`password`/`db`. Secrets are `Redacted` and never logged.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisConnectionOptions {
  readonly url?: Redacted.Redacted<string> | string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly db?: number | undefined
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
  /** Extra ioredis options (TLS, sentinels…); the ones above win. */
  readonly ioredis?: IORedisOptions | undefined
}

/**
 * A Lua script with its SHA1, run with {@link RedisShape.evalScript}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LuaScript {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

/**
 * Define a Lua script (its SHA1 is computed once, here).
 *
 * @since 0.1.0
 * @category constructors
 */
export const script = (name: string, lua: string): LuaScript => ({
  name,
  lua,
  sha: createHash("sha1").update(lua).digest("hex")
})

/**
 * One script call whose keys and arguments never change, encoded once (see
 * {@link RedisShape.prepareScript}); run it as often as needed with {@link RedisShape.runPrepared}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PreparedScript {
  readonly script: LuaScript
  readonly keys: ReadonlyArray<string>
  readonly args: ReadonlyArray<string | number | Buffer>
  /** The whole EVALSHA command as sent on the wire (RESP). */
  readonly bytes: Buffer
  /** The EVALSHA arguments (sha, key count, keys, args), as ioredis reports them in errors. */
  readonly argv: ReadonlyArray<string | number | Buffer>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisShape {
  /** The underlying ioredis client (for commands this service does not wrap). */
  readonly client: IORedis
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
  readonly command: <A>(operation: string, run: (client: IORedis) => Promise<A>) => Effect.Effect<A, RedisError>
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
   * `evalScript` as a bare Promise (rejecting with what ioredis threw; map it with
   * {@link toRedisError}) for hot paths that resume a fiber themselves. Check {@link isReady} first.
   */
  readonly evalScriptPromise: (
    script: LuaScript,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number | Buffer>
  ) => Promise<unknown>
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
   * Run a prepared call: one EVALSHA round trip, EVAL once on NOSCRIPT, like
   * {@link evalScriptPromise} (same replies, same errors; map them with {@link toRedisError}).
   * `done` is called exactly once, possibly before `runPrepared` returns (connection not writable).
   */
  readonly runPrepared: (call: PreparedScript, done: PreparedCallback) => void
  /** SCRIPT LOAD, so the first EVALSHA hits. Optional: `evalScript` recovers from NOSCRIPT anyway. */
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

const UNAVAILABLE = /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Connection is in subscriber|max retries|MaxRetriesPerRequest|LOADING/i

/**
 * Map anything ioredis throws to a `RedisError`.
 *
 * @since 0.1.0
 * @category errors
 */
export const toRedisError = (operation: string, cause: unknown): RedisError => {
  const text = cause instanceof Error ? cause.message : String(cause)
  const reason = /timed out/i.test(text)
    ? "timeout" as const
    : UNAVAILABLE.test(text) || (cause instanceof Error && cause.name !== "ReplyError")
    ? "unavailable" as const
    : "command" as const
  return new RedisError({ operation, reason, detail: text.slice(0, 300) })
}

const CRLF = Buffer.from("\r\n")

/** RESP encoding of one command (what ioredis writes for it). Pure. */
const encodeCommand = (parts: ReadonlyArray<string | number | Buffer>): Buffer => {
  const chunks: Array<Buffer> = [Buffer.from(`*${parts.length}\r\n`)]
  for (const part of parts) {
    const bytes = Buffer.isBuffer(part) ? part : Buffer.from(String(part), "utf8")
    chunks.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(chunks)
}

/**
 * Command timeouts of prepared calls: one timer per connection, armed for the oldest pending
 * command, instead of a timer set and cleared per command. Replies come back in the order commands
 * were sent, so settled commands leave from the head of the queue.
 */
class Watchdog {
  private queue: Array<PreparedCommand> = []
  private head = 0
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private readonly check = (): void => {
    this.timer = undefined
    const now = performance.now()
    const q = this.queue
    while (this.head < q.length) {
      const c = q[this.head]!
      if (!c.settled) {
        if (c.deadline > now) break
        c.reject(new Error("Command timed out"))
      }
      q[this.head++] = undefined as never
    }
    this.compact()
    if (this.head < this.queue.length) this.arm(this.queue[this.head]!.deadline - now)
  }
  add(command: PreparedCommand, ms: number): void {
    command.deadline = performance.now() + ms
    this.drop()
    this.queue.push(command)
    if (this.timer === undefined) this.arm(ms)
  }
  /** Forget settled commands at the head (called as commands come and go, so the queue stays short). */
  drop(): void {
    const q = this.queue
    while (this.head < q.length && q[this.head]!.settled) q[this.head++] = undefined as never
    this.compact()
  }
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
  private arm(ms: number): void {
    this.timer = setTimeout(this.check, Math.max(1, Math.ceil(ms)))
    // A pending command keeps the process alive through its socket, not through this timer.
    this.timer.unref()
  }
}

/** Called once with the reply (or the failure) of a prepared call. */
export type PreparedCallback = (error: Error | undefined, reply?: unknown) => void

const noop = () => {}

/**
 * An EVALSHA whose wire bytes are cached; its command timeout is kept by the {@link Watchdog}. The
 * reply goes straight to `done` from ioredis' reply handler, without promise hops (ioredis' own
 * promise is still settled, for its tracing).
 */
class PreparedCommand extends Command {
  deadline = 0
  settled = false
  constructor(
    private readonly bytes: Buffer,
    call: PreparedScript,
    private readonly watchdog: Watchdog,
    done: PreparedCallback,
    noScript: (call: PreparedScript, done: PreparedCallback) => void
  ) {
    // Arguments are given after construction: ioredis' own argument handling (copying, stringifying)
    // costs more than the whole rest of a command, and the bytes sent are cached anyway.
    super("evalsha", [], { replyEncoding: "utf8" })
    this.args = call.argv as Array<string | number | Buffer>
    const resolve = this.resolve
    const reject = this.reject
    this.resolve = (value) => {
      if (this.settled) return
      this.settled = true
      resolve(value)
      done(undefined, this.transformReply(value))
    }
    this.reject = (error) => {
      if (this.settled) return
      this.settled = true
      // Nobody awaits ioredis' promise: keep its rejection from counting as unhandled.
      this.promise.catch(noop)
      reject(error)
      if (error.message.startsWith("NOSCRIPT")) noScript(call, done)
      else done(error)
    }
  }
  override toWritable(): Buffer {
    return this.bytes
  }
  override setTimeout(ms: number): void {
    if (this.deadline === 0) this.watchdog.add(this, ms)
  }
}

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.decode(d))

type Verdict = ReturnType<typeof checkServerInfo>

/** `INFO server` on a ready connection, judged; a failed INFO (ACL NOPERM, timeout) is `"unknown"`. */
const checkVersion = (client: IORedis): Promise<Verdict> =>
  client.info("server").then(checkServerInfo, () => "unknown" as const)

/**
 * How long a closing connection waits for the server to close its side before the socket is
 * destroyed (ioredis' `disconnectTimeout`, 2 s by default, a timer that keeps the process alive):
 * a healthy server closes at once, a dead or stopped one never does.
 */
const CLOSE_GRACE_MS = 100

const ioOptionsOf = (options: RedisConnectionOptions, maxDelay: number): IORedisOptions => ({
  ...options.ioredis,
  ...(options.host !== undefined ? { host: options.host } : {}),
  ...(options.port !== undefined ? { port: options.port } : {}),
  ...(options.username !== undefined ? { username: options.username } : {}),
  ...(options.password !== undefined ? { password: Redacted.value(options.password) } : {}),
  ...(options.db !== undefined ? { db: options.db } : {}),
  lazyConnect: true,
  connectTimeout: millis(options.connectTimeout, 2000),
  commandTimeout: millis(options.commandTimeout, 1000),
  disconnectTimeout: CLOSE_GRACE_MS,
  // Fail at once while disconnected instead of queueing: stores decide what to do (fail closed,
  // fail open, local fallback) and an outage is detected in microseconds, not after retries.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Reconnect forever in the background (that is how stores recover), with capped backoff.
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay)
})

/**
 * Build the service. Connecting to a server older than Redis 6.0 fails with
 * {@link RedisVersionUnsupported}. The connection is closed when the scope closes, at once: no QUIT
 * round trip (a stopped server would never answer it), the socket is ended and destroyed if the
 * server has not closed its side within 100 ms.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: RedisConnectionOptions = {}
): Effect.Effect<RedisShape, RedisError | RedisVersionUnsupported, import("effect").Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const log = (message: string) => Runtime.runFork(runtime)(Effect.logWarning(message))
    const prefix = options.prefix ?? "governor"
    const maxDelay = millis(options.maxReconnectDelay, 1000)
    const ioOptions = ioOptionsOf(options, maxDelay)
    const url = options.url === undefined ? undefined : Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    // Set while the server of the current connection is too old (checked on every `ready`).
    let unsupported: RedisVersionUnsupported | undefined = undefined
    let started = false

    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = url === undefined ? new IORedis(ioOptions) : new IORedis(url, ioOptions)
        let down = false
        // Without an 'error' listener ioredis errors would crash the process; log state changes once.
        c.on("error", (error: Error) => {
          if (!down) {
            down = true
            log(`Redis connection lost: ${error.message.slice(0, 200)}; reconnecting in the background`)
          }
        })
        c.on("ready", () => {
          if (down) {
            down = false
            log("Redis connection restored")
          }
          // A reconnection may reach another server (failover): check it too, off the start path.
          if (started) void checkVersion(c).then(onVerdict, noop)
        })
        return c
      }),
      (c) =>
        Effect.sync(() => c.disconnect())
    )
    const onVerdict = (verdict: Verdict): void => {
      const was = unsupported
      unsupported = verdict instanceof RedisVersionUnsupported ? verdict : undefined
      if (unsupported !== undefined && was === undefined) {
        Runtime.runFork(runtime)(Effect.logError(`${unsupported.message}; Redis is treated as unavailable`))
      } else if (verdict === "unknown") {
        log(`could not read the Redis version (INFO server); the stores need Redis >= ${formatVersion(minimumVersion)}`)
      }
    }

    const connected = yield* Effect.tryPromise({
      try: () => client.connect(),
      catch: (cause) => toRedisError("connect", cause)
    }).pipe(Effect.as(true), Effect.catchAll((error) => options.requireConnection === true ? Effect.fail(error) : Effect.succeed(false)))
    if (connected) {
      const verdict = yield* Effect.promise(() => checkVersion(client))
      if (verdict instanceof RedisVersionUnsupported) return yield* Effect.fail(verdict)
      onVerdict(verdict)
    } else {
      log("Redis not reachable at startup; stores apply their onUnavailable policy until it is")
      // ioredis does not retry a failed lazy connect by itself: keep trying in the background.
      if (client.status === "end" || client.status === "wait") {
        const retry = (): void => {
          if (client.status === "end" || client.status === "wait") {
            client.connect().catch(() => setTimeout(retry, maxDelay).unref())
          }
        }
        setTimeout(retry, maxDelay).unref()
      }
    }
    started = true

    const isReady = () => client.status === "ready" && unsupported === undefined
    const command = <A>(operation: string, run: (client: IORedis) => Promise<A>): Effect.Effect<A, RedisError> =>
      !isReady()
        ? Effect.fail(
          new RedisError({ operation, reason: "unavailable", detail: unsupported?.message ?? `connection ${client.status}` })
        )
        : Effect.tryPromise({ try: () => run(client), catch: (cause) => toRedisError(operation, cause) })

    const evalScriptPromise = (s: LuaScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number | Buffer>) =>
      client.evalsha(s.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
          return client.eval(s.lua, keys.length, ...keys, ...args)
        }
        throw error
      })
    const evalScript = (s: LuaScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number | Buffer>) =>
      command(s.name, () => evalScriptPromise(s, keys, args))

    const watchdog = new Watchdog()
    yield* Effect.addFinalizer(() => Effect.sync(() => watchdog.close()))
    const keyPrefix = typeof client.options.keyPrefix === "string" ? client.options.keyPrefix : ""
    const prepareScript = (s: LuaScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number | Buffer>): PreparedScript => {
      // ioredis' own `keyPrefix` applies to these keys too, as it does for `evalsha`.
      const argv = [s.sha, keys.length, ...keys.map((k) => keyPrefix + k), ...args]
      return { script: s, keys, args, argv, bytes: encodeCommand(["evalsha", ...argv]) }
    }
    const noScript = (call: PreparedScript, done: PreparedCallback): void => {
      client.eval(call.script.lua, call.keys.length, ...call.keys, ...call.args).then(
        (reply) => done(undefined, reply),
        (error: Error) => done(error)
      )
    }
    const runPrepared = (call: PreparedScript, done: PreparedCallback): void => {
      client.sendCommand(new PreparedCommand(call.bytes, call, watchdog, done, noScript))
    }

    return {
      client,
      prefix,
      key: (entity, ...parts) => keyFor(prefix, entity, parts),
      isReady,
      command,
      evalScript,
      evalScriptPromise,
      prepareScript,
      runPrepared,
      loadScript: (s) => command(`SCRIPT LOAD ${s.name}`, (c) => c.script("LOAD", s.lua)).pipe(Effect.asVoid)
    } satisfies RedisShape
  })

/**
 * A layer from explicit options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedisConnectionOptions = {}): Layer.Layer<Redis, RedisError | RedisVersionUnsupported> =>
  Layer.scoped(Redis, make(options))

/**
 * A layer configured through Effect `Config`: `REDIS_URL` (redacted; default
 * `redis://127.0.0.1:6379`) and `REDIS_PREFIX` (default `"governor"`), or any `Config` you pass.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<{ readonly url: Redacted.Redacted<string>; readonly prefix: Option.Option<string> }> = Config.all({
    url: Config.redacted("REDIS_URL").pipe(Config.withDefault(Redacted.make("redis://127.0.0.1:6379"))),
    prefix: Config.option(Config.string("REDIS_PREFIX"))
  }),
  options: Omit<RedisConnectionOptions, "url" | "prefix"> = {}
): Layer.Layer<Redis, RedisError | RedisVersionUnsupported | import("effect").ConfigError.ConfigError> =>
  Layer.scoped(
    Redis,
    Effect.flatMap(config, (c) => make({ ...options, url: c.url, ...Option.match(c.prefix, { onNone: () => ({}), onSome: (prefix) => ({ prefix }) }) }))
  )
