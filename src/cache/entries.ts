/**
 * Stored entries: built from a response, refreshed by a 304, matched against a request's variant,
 * and turned back into a response (pure, apart from a memo of built headers).
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Headers } from "@effect/platform"
import type { CacheEntry } from "./CacheStore.js"
import * as CachedResponse from "./CachedResponse.js"
import { normalizeHeaderNames, varyValues } from "./key.js"
import type { ResponseDecision } from "./policy.js"
import { hopByHopHeaders } from "./policy.js"
import type { CacheStatus, StaleReason } from "./status.js"

type Storable = Extract<ResponseDecision, { readonly _tag: "Storable" }>

/** Response headers as stored: lower-case names, without hop-by-hop headers and the marker. */
export const storableHeaders = (
  headers: Readonly<Record<string, string>>,
  markerName: string | undefined
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase()
    if (!hopByHopHeaders.has(name) && name !== markerName) out[name] = v
  }
  return out
}

/** The entry of a storable response. */
export const entryOf = (
  decision: Storable,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  requestHeaders: Readonly<Record<string, string>>
): CacheEntry => {
  const vary = normalizeHeaderNames([...decision.vary])
  return {
    status,
    headers,
    body,
    storedAt: decision.storedAt,
    expiresAt: decision.expiresAt,
    ...(decision.etag !== undefined ? { etag: decision.etag } : {}),
    ...(decision.lastModified !== undefined ? { lastModified: decision.lastModified } : {}),
    ...(vary.length > 0 ? { vary: varyValues(requestHeaders, vary) } : {})
  }
}

/** Whether the entry is the variant the request asks for (`Vary`). */
export const matchesVariant = (entry: CacheEntry, requestHeaders: Readonly<Record<string, string>>): boolean => {
  if (entry.vary === undefined) return true
  const current = varyValues(requestHeaders, Object.keys(entry.vary))
  for (const [k, v] of Object.entries(entry.vary)) if (current[k] !== v) return false
  return true
}

// Built headers per entry and status: a hit is then one response object around shared, immutable
// headers and the stored bytes. Entries of the memory store are long-lived objects; others are
// collected with their memo.
const built = new WeakMap<CacheEntry, Map<string, Headers.Headers>>()

const headersFor = (entry: CacheEntry, status: CacheStatus, markerName: string | undefined): Headers.Headers => {
  let byStatus = built.get(entry)
  if (byStatus === undefined) built.set(entry, byStatus = new Map())
  const memoKey = markerName === undefined ? "" : `${markerName}:${status}`
  let headers = byStatus.get(memoKey)
  if (headers === undefined) {
    headers = Headers.fromInput(markerName === undefined ? entry.headers : { ...entry.headers, [markerName]: status })
    byStatus.set(memoKey, headers)
  }
  return headers
}

/** The response served from an entry, marked with its status (a `STALE` one always with its reason). */
export function responseOf(
  request: HttpClientRequest.HttpClientRequest,
  entry: CacheEntry,
  status: Exclude<CacheStatus, "STALE">,
  markerName: string | undefined
): HttpClientResponse.HttpClientResponse
export function responseOf(
  request: HttpClientRequest.HttpClientRequest,
  entry: CacheEntry,
  status: "STALE",
  markerName: string | undefined,
  reason: StaleReason
): HttpClientResponse.HttpClientResponse
export function responseOf(
  request: HttpClientRequest.HttpClientRequest,
  entry: CacheEntry,
  status: CacheStatus,
  markerName: string | undefined,
  reason?: StaleReason
): HttpClientResponse.HttpClientResponse {
  return CachedResponse.served(request, entry.status, headersFor(entry, status, markerName), entry.body, status, reason)
}
