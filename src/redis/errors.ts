/**
 * The typed failure of every Redis call and the classification of what ioredis throws: an outage
 * (`unavailable`, `timeout`), an error reply (`command`), or a deployment mistake (`misconfigured`:
 * a cluster redirect or cross-slot reply reaching us, a client of the wrong kind for the server).
 * The stores apply their `onUnavailable` policy to outages only: a misconfiguration must never be
 * read as "Redis is down, admit everything".
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A Redis command or connection failed. `reason` says how: `"unavailable"` (not connected, connection
 * lost, failover in progress), `"timeout"` (no answer within `commandTimeout`), `"command"` (Redis
 * answered with an error), `"misconfigured"` (the client does not fit the deployment: a `MOVED`/`ASK`
 * redirect or `CROSSSLOT` reached us, e.g. a standalone client pointed at a Redis Cluster node).
 * Never carries the connection URL or password.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisError extends Schema.TaggedError<RedisError>()("RedisError", {
  operation: Schema.String,
  reason: Schema.Literal("unavailable", "timeout", "command", "misconfigured"),
  detail: Schema.String
}) {
  override get message(): string {
    return `Redis ${this.operation} failed (${this.reason}): ${this.detail}`
  }
}

/** Replies that only a cluster sends to a client that does not route by slot (or routes wrongly). */
const MISCONFIGURED = /\b(?:MOVED|ASK) \d+ \S+|\bCROSSSLOT\b|All keys in the pipeline should belong to the same slot/

/** Transient states: not connected, or the deployment is failing over / resharding / loading. */
const UNAVAILABLE =
  /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Connection is in subscriber|max retries|MaxRetriesPerRequest|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN/i

/** What a `misconfigured` error says to do, appended to the server's reply. */
const ADVICE = "a Redis Cluster needs Redis.layerCluster (seed nodes), not a standalone client"

/**
 * The reason of a failure, from what ioredis threw. Pure.
 *
 * @since 0.1.0
 * @category errors
 */
export const classify = (cause: unknown): RedisError["reason"] => {
  if (cause instanceof RedisError) return cause.reason
  const text = cause instanceof Error ? cause.message : String(cause)
  if (MISCONFIGURED.test(text)) return "misconfigured"
  if (/timed out/i.test(text)) return "timeout"
  if (UNAVAILABLE.test(text) || (cause instanceof Error && cause.name !== "ReplyError")) return "unavailable"
  return "command"
}

/**
 * What a failure means to a store's policy: an `"outage"` (not connected, timed out, an error
 * reply) is what `onUnavailable`, fail-open and local fallbacks are for; a `"misconfigured"` Redis
 * never is: every store fails with its typed configuration error instead (the connection logs it).
 *
 * @since 0.1.0
 * @category errors
 */
export type FailureKind = "outage" | "misconfigured"

/**
 * The {@link FailureKind} of a `RedisError` or of anything ioredis throws: the one classification
 * every Redis store (limiter, adaptive, cache, limits, breaker) applies. Pure.
 *
 * @since 0.1.0
 * @category errors
 */
export const kindOf = (cause: unknown): FailureKind => classify(cause) === "misconfigured" ? "misconfigured" : "outage"

/**
 * Whether a failure is an outage, the only kind a store may answer with its outage policy. Pure.
 *
 * @since 0.1.0
 * @category errors
 */
export const isOutage = (cause: unknown): boolean => kindOf(cause) === "outage"

/**
 * Map anything ioredis throws to a `RedisError` (a `RedisError` is returned as it is).
 *
 * @since 0.1.0
 * @category errors
 */
export const toRedisError = (operation: string, cause: unknown): RedisError => {
  if (cause instanceof RedisError) return cause
  const reason = classify(cause)
  const text = (cause instanceof Error ? cause.message : String(cause)).slice(0, 300)
  return new RedisError({ operation, reason, detail: reason === "misconfigured" ? `${text} (${ADVICE})` : text })
}
