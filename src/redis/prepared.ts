/**
 * Prepared script calls: EVALSHA calls (of a `LuaScript`, `script.ts`) whose wire bytes are
 * encoded once and written as they are by a custom ioredis `Command` (the limiter's hot path), with
 * their command timeouts kept by one timer per connection. Works on a standalone/Sentinel client
 * and on a `Cluster` (which routes the command by the slot of its first key and follows redirects).
 *
 * @since 0.1.0
 * @internal
 */
import { Command } from "ioredis"
import type { LuaScript } from "./script.js"

/**
 * One script call whose keys and arguments never change, encoded once (see
 * `RedisShape.prepareScript`); run it as often as needed with `RedisShape.runPrepared`.
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

const CRLF = Buffer.from("\r\n")

/** RESP encoding of one command (what ioredis writes for it). Pure. */
export const encodeCommand = (parts: ReadonlyArray<string | number | Buffer>): Buffer => {
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
export class Watchdog {
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

export const noop = () => {}

/**
 * An EVALSHA whose wire bytes are cached; its command timeout is kept by the {@link Watchdog}. The
 * reply goes straight to `done` from ioredis' reply handler, without promise hops (ioredis' own
 * promise is still settled, for its tracing); a failure goes to `failed` (NOSCRIPT: send the script).
 */
export class PreparedCommand extends Command {
  deadline = 0
  settled = false
  constructor(
    private readonly bytes: Buffer,
    call: PreparedScript,
    private readonly watchdog: Watchdog,
    done: PreparedCallback,
    failed: (call: PreparedScript, done: PreparedCallback, error: Error) => void
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
      failed(call, done, error)
    }
  }
  override toWritable(): Buffer {
    return this.bytes
  }
  override setTimeout(ms: number): void {
    if (this.deadline === 0) this.watchdog.add(this, ms)
  }
}

