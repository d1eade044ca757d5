/**
 * How the cache produced a response, readable independently of the marker header.
 *
 * @since 0.1.0
 */
import type { HttpClientResponse } from "@effect/platform"
import { Option } from "effect"
import { servedAs } from "./CachedResponse.js"

/**
 * How a response was produced, as carried by the marker header and {@link cacheStatus}:
 * - `HIT`: served from a fresh entry, `send` not called;
 * - `MISS`: fetched upstream (and stored);
 * - `REVALIDATED`: stale entry confirmed by a `304`, cached body returned;
 * - `COALESCED`: an identical concurrent request fetched it; this caller shared the result;
 * - `STALE`: served from a stale entry (RFC 5861), always with a {@link StaleReason}: at once while a
 *   background request refreshes it (`while-revalidate`), or because the request failed (`if-error`).
 *
 * The requests the cache itself sends are told apart by {@link SendReason}, never by these.
 *
 * @since 0.1.0
 * @category models
 */
export type CacheStatus = "HIT" | "MISS" | "REVALIDATED" | "COALESCED" | "STALE"

/**
 * Why a `STALE` response was served.
 *
 * @since 0.1.0
 * @category models
 */
export type StaleReason = "while-revalidate" | "if-error"

/**
 * Why the cache calls `send` (its second argument), for the caller's attempt log and metrics:
 * - `miss`: no usable entry, a full request (also a waiter whose leader's response may not be shared);
 * - `revalidate`: a conditional request (`If-None-Match` / `If-Modified-Since`) for a stale entry,
 *   on behalf of the waiting caller;
 * - `refresh`: the background request refreshing an entry just served `STALE` / `while-revalidate`
 *   (conditional when the entry has a validator); no caller waits for it;
 * - `bypass`: a request the cache does not handle (unsafe method, `no-store`, caller-managed
 *   validators), sent as is.
 *
 * @since 0.1.0
 * @category models
 */
export type SendReason = "miss" | "revalidate" | "refresh" | "bypass"

/**
 * The {@link CacheStatus} of a response returned by the cache; `None` for a response the cache
 * passed through untouched.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cacheStatus = (response: HttpClientResponse.HttpClientResponse): Option.Option<CacheStatus> =>
  Option.fromNullable(servedAs(response)?.status)

/**
 * Why a `STALE` response was served; `None` for any other response.
 *
 * @since 0.1.0
 * @category accessors
 */
export const staleReason = (response: HttpClientResponse.HttpClientResponse): Option.Option<StaleReason> =>
  Option.fromNullable(servedAs(response)?.reason)

/**
 * Whether a response counts as a hit in the cache's `stats.hitRate`: `HIT`, or `STALE` for either
 * reason (served from a stored entry instead of an upstream response of its own). A caller keeping
 * its own hit count (the client's stats, metrics) counts by this, once per answer.
 *
 * @since 0.1.0
 * @category accessors
 */
export const countsAsHit = (response: HttpClientResponse.HttpClientResponse): boolean => {
  const status = servedAs(response)?.status
  return status === "HIT" || status === "STALE"
}
