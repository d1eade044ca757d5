/**
 * The limiter script on a Redis connection: the `ScriptPort` the Redis store (`src/limiter/redisStore.ts`)
 * reaches Redis through.
 *
 * @since 0.1.0
 * @internal
 */
import { limiterScript } from "../limiter/redisScript.js"
import type { ScriptPort } from "../limiter/redisStore.js"
import { type PreparedScript, RedisError, type RedisShape, toRedisError } from "./Redis.js"

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
  load: redis.loadScript(limiterScript),
  run: (keys, args) => redis.evalScript(limiterScript, keys, args),
  prepare: (keys, args) => redis.prepareScript(limiterScript, keys, args),
  runPrepared: redis.runPrepared,
  failure: (cause) => toRedisError(limiterScript.name, cause)
})
