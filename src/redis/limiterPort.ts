/**
 * The limiter script on a Redis connection: the `ScriptPort` the Redis store (`src/limiter/redisStore.ts`)
 * reaches Redis through.
 *
 * @since 0.1.0
 * @internal
 */
import { limiterScript } from "../limiter/redisScript.js"
import type { ScriptPort } from "../limiter/redisStore.js"
import { kindOf, toRedisError } from "./errors.js"
import { type PreparedScript, RedisError, type RedisShape } from "./Redis.js"
import { script } from "./script.js"

/**
 * The limiter's script, with its SHA1.
 *
 * @since 0.1.0
 * @internal
 */
export const limiterLuaScript = script(limiterScript.name, limiterScript.lua)

/**
 * The limiter script on a connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scriptPort = (redis: RedisShape): ScriptPort<PreparedScript> => ({
  key: (key) => redis.key(key, "limiter"),
  isReady: redis.isReady,
  notReady: new RedisError({ operation: "acquire", reason: "unavailable", detail: "connection not ready" }),
  load: redis.loadScript(limiterLuaScript),
  run: (keys, args) => redis.evalScript(limiterLuaScript, keys, args),
  prepare: (keys, args) => redis.prepareScript(limiterLuaScript, keys, args),
  runPrepared: redis.runPrepared,
  failure: (cause) => toRedisError(limiterLuaScript.name, cause),
  kindOf
})
