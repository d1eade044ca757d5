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
 * - `STALE`: served from a stale entry (RFC 5861): at once while a background request refreshes it
 *   (`stale-while-revalidate`), or because the request failed (`stale-if-error`); see {@link staleReason}.
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
