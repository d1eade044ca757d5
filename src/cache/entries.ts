/**
 * Stored entries: built from a response, matched against a request's variant, and turned back into
 * a response (pure, apart from memos: fingerprints per call, built headers per entry).
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Headers } from "@effect/platform"
import type { CacheEntry } from "./CacheStore.js"
import * as CachedResponse from "./CachedResponse.js"
import { header, parseCacheControl } from "./directives.js"
import { normalizeHeaderNames, varyValue } from "./key.js"
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

/**
 * The entry of a storable response to the request of `variant`; `cc` (its parsed `Cache-Control`)
 * is kept with it.
 */
export const entryOf = (
  decision: Storable,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  variant: Variant,
  cc: ReadonlyMap<string, string | true>
): CacheEntry => {
  const vary = normalizeHeaderNames([...decision.vary])
  return keepParsed({
    status,
    headers,
    body,
    storedAt: decision.storedAt,
    expiresAt: decision.expiresAt,
    ...(decision.etag !== undefined ? { etag: decision.etag } : {}),
    ...(decision.lastModified !== undefined ? { lastModified: decision.lastModified } : {}),
    ...(vary.length > 0 ? { vary: variant.values(vary) } : {})
  }, cc)
}

/**
 * A request's side of the `Vary` check (RFC 9111 §4.1), for one call. A header the request's key
 * already hashes (`keyed`, canonical names: a configured `vary` name, or a credential) has the same
 * value in every request with that key, so a present one matches without its fingerprint; an absent
 * one is `null`; any other is hashed at most once per call (lookup, the leader's re-check and the
 * entry stored share it).
 */
export class Variant {
  private fingerprints: Map<string, string | null> | undefined
  constructor(private readonly headers: Readonly<Record<string, string>>, private readonly keyed: ReadonlySet<string>) {}

  private fingerprint(name: string): string | null {
    const memo = this.fingerprints ??= new Map()
    let fp = memo.get(name)
    if (fp === undefined) memo.set(name, fp = varyValue(this.headers, name))
    return fp
  }

  /** Whether `entry` is the variant the request asks for. */
  readonly matches = (entry: CacheEntry): boolean => {
    const vary = entry.vary
    if (vary === undefined) return true
    for (const name in vary) {
      const stored = vary[name]
      if (header(this.headers, name) === undefined) {
        if (stored !== null) return false
      } else if (stored === null || (!this.keyed.has(name) && this.fingerprint(name) !== stored)) return false
    }
    return true
  }

  /** The fingerprints an entry stored for this request records (as `varyValues` gives them). */
  values(names: ReadonlyArray<string>): Readonly<Record<string, string | null>> {
    const out: Record<string, string | null> = {}
    for (const name of names) out[name] = this.fingerprint(name)
    return out
  }
}

// What is derived from an entry, kept with it: its parsed Cache-Control (a stale lookup or a reload
// of an immutable entry parses nothing) and its built headers per status (a hit is one response
// object around shared, immutable headers and the stored bytes). Entries of the memory store and
// the file store's memo are long-lived objects; others are collected with their memo.
interface Derived {
  cc: ReadonlyMap<string, string | true> | undefined
  readonly built: Map<string, Headers.Headers>
}
const derived = new WeakMap<CacheEntry, Derived>()

const derivedOf = (entry: CacheEntry): Derived => {
  let d = derived.get(entry)
  if (d === undefined) derived.set(entry, d = { cc: undefined, built: new Map() })
  return d
}

/** `entry`, keeping `cc`, its parsed `Cache-Control`. */
export const keepParsed = (entry: CacheEntry, cc: ReadonlyMap<string, string | true>): CacheEntry => {
  derivedOf(entry).cc = cc
  return entry
}

/** The parsed `Cache-Control` of an entry, parsed once. */
export const cacheControlOf = (entry: CacheEntry): ReadonlyMap<string, string | true> => {
  const d = derivedOf(entry)
  return d.cc ??= parseCacheControl(header(entry.headers, "cache-control"))
}

const headersFor = (entry: CacheEntry, status: CacheStatus, markerName: string | undefined): Headers.Headers => {
  const byStatus = derivedOf(entry).built
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
