/**
 * The oldest Redis server the stores work with, and the check made when a connection is ready
 * (`INFO server` → `redis_version`), so an older server is refused at start with a typed error
 * instead of failing scripts mid-traffic; `redis_mode` tells a cluster node or a sentinel apart.
 *
 * Why 6.0: the limiter script writes with `SET … KEEPTTL` (6.0). Everything else is older: `TIME`
 * before writes in a script (effects replication, the default since 5.0), `UNLINK` and multi-field
 * `HSET` (4.0), `SCAN` (2.8), `EVALSHA`/`SCRIPT LOAD`, `PEXPIRE`, `SET … PX` and Lua's `struct`
 * library (2.6); a `username` (ACL `AUTH`) also needs 6.0.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A server version, `major.minor.patch`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

/**
 * The oldest supported server: Redis 6.0.0.
 *
 * @since 0.1.0
 * @category constants
 */
export const minimumVersion: RedisVersion = { major: 6, minor: 0, patch: 0 }

/**
 * `major.minor.patch`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatVersion = (v: RedisVersion): string => `${v.major}.${v.minor}.${v.patch}`

/**
 * The server's version from the text of `INFO` (any section list that includes `server`): the
 * `redis_version` field (Valkey and other compatible servers report their Redis compatibility level
 * there). `undefined` when the field is missing or not a version. Pure.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRedisVersion = (info: string): RedisVersion | undefined => {
  const match = /^redis_version:(\d+)\.(\d+)(?:\.(\d+))?/m.exec(info)
  if (match === null) return undefined
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) }
}

/**
 * The server's `redis_mode` from the text of `INFO server` (`standalone`, `cluster`, `sentinel`);
 * `undefined` when the field is missing. Pure.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRedisMode = (info: string): string | undefined => /^redis_mode:(\w+)/m.exec(info)?.[1]

/**
 * Negative, zero or positive as `a` is older than, the same as or newer than `b`. Pure.
 *
 * @since 0.1.0
 * @category ordering
 */
export const compareVersions = (a: RedisVersion, b: RedisVersion): number =>
  a.major !== b.major ? a.major - b.major : a.minor !== b.minor ? a.minor - b.minor : a.patch - b.patch

/**
 * The connected server is older than {@link minimumVersion}. Raised when the `Redis` layer starts
 * (whatever `requireConnection` says: an old server is a deployment error, not an outage).
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisVersionUnsupported extends Schema.TaggedError<RedisVersionUnsupported>()("RedisVersionUnsupported", {
  version: Schema.String,
  required: Schema.String
}) {
  override get message(): string {
    return `Redis ${this.version} is not supported: effect-governor needs Redis >= ${this.required} (SET … KEEPTTL)`
  }
}

/**
 * What `INFO server` says about the server: `"supported"`, `"unknown"` (no readable
 * `redis_version`: the stores try anyway) or the error to raise. Pure.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkServerInfo = (info: string): "supported" | "unknown" | RedisVersionUnsupported => {
  const version = parseRedisVersion(info)
  if (version === undefined) return "unknown"
  return compareVersions(version, minimumVersion) >= 0
    ? "supported"
    : new RedisVersionUnsupported({ version: formatVersion(version), required: formatVersion(minimumVersion) })
}
