/**
 * Lua scripts on Redis, the one place that knows how they are run: a script is its text and SHA1
 * (computed once), run with EVALSHA and sent once with EVAL when the server does not know it
 * (`NOSCRIPT`: a restart, a `SCRIPT FLUSH`, a failover to a replica that never loaded it; EVAL caches
 * it again), and loaded ahead on every master with `SCRIPT LOAD` so the first EVALSHA hits.
 *
 * @since 0.1.0
 * @internal
 */
import { createHash } from "node:crypto"
import type { Cluster, Redis as IORedis } from "ioredis"

/**
 * A Lua script with its SHA1, run with `RedisShape.evalScript`.
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
 * Whether a failure is the server not knowing the script. Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOSCRIPT")

/**
 * Send the script itself (EVAL): the answer to `NOSCRIPT`, which also caches it on the server again.
 *
 * @since 0.1.0
 * @internal
 */
export const evalText = (
  client: IORedis | Cluster,
  s: LuaScript,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number | Buffer>
): Promise<unknown> => client.eval(s.lua, keys.length, ...keys, ...args)

/**
 * One EVALSHA round trip, EVAL once on `NOSCRIPT`; any other failure is thrown as ioredis threw it.
 *
 * @since 0.1.0
 * @internal
 */
export const evalSha = (
  client: IORedis | Cluster,
  s: LuaScript,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number | Buffer>
): Promise<unknown> =>
  client.evalsha(s.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (isNoScript(error)) return evalText(client, s, keys, args)
    throw error
  })

/**
 * `SCRIPT LOAD` on every master (each node of a cluster keeps its own script cache).
 *
 * @since 0.1.0
 * @internal
 */
export const loadOn = (masters: ReadonlyArray<IORedis>, s: LuaScript): Promise<void> =>
  Promise.all(masters.map((node) => node.script("LOAD", s.lua))).then(() => undefined)
