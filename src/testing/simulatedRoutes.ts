/**
 * The JSON routes of the simulated API, once a request has been admitted: `GET /items?cursor=&limit=`
 * (paginated), `GET /items/:id` (ETag + Last-Modified, 304 on a match), `PUT /items/:id` (bumps the
 * version), `POST /items` (Idempotency-Key replay) and `GET /echo`. State: item versions and the
 * idempotency keys seen.
 *
 * @since 0.1.0
 */
import type * as http from "node:http"

/**
 * Status, JSON body (`undefined`: none) and extra headers.
 *
 * @since 0.1.0
 * @category models
 */
export type Answer = readonly [number, unknown, Record<string, string>]

/**
 * @since 0.1.0
 * @category models
 */
export interface Routes {
  readonly answer: (method: string, url: URL, headers: http.IncomingHttpHeaders, rawBody: string, requestNumber: number) => Answer
  /** Forget versions and idempotency keys. */
  readonly reset: () => void
}

const ITEM_EPOCH = Date.UTC(2024, 0, 1)
const MAX_PAGE = 100

/**
 * The route family of a request, for per-route counters.
 *
 * @since 0.1.0
 * @category routing
 */
export const route = (method: string, path: string): string => {
  if (path === "/items") return `${method} /items`
  if (/^\/items\/[^/]+$/.test(path)) return `${method} /items/:id`
  if (path === "/echo") return `${method} /echo`
  return `${method} *`
}

const list = (url: URL, items: number, item: (id: number) => unknown): Answer => {
  const limitParam = url.searchParams.get("limit")
  const cursorParam = url.searchParams.get("cursor")
  const limit = limitParam === null || limitParam === "" ? 10 : Number(limitParam)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    return [400, { error: "bad_request", message: `limit must be an integer in [1, ${MAX_PAGE}]` }, {}]
  }
  const offset = cursorParam === null || cursorParam === "" ? 0 : Number(/^c(\d+)$/.exec(cursorParam)?.[1] ?? NaN)
  if (!Number.isSafeInteger(offset) || offset < 0) return [400, { error: "bad_request", message: "invalid cursor" }, {}]
  const end = Math.min(items, offset + limit)
  const results = []
  for (let i = offset; i < end; i++) results.push(item(i + 1))
  const hasMore = end < items
  return [200, { results, next_cursor: hasMore ? `c${end}` : null, has_more: hasMore }, {}]
}

const notModified = (headers: http.IncomingHttpHeaders, etag: string, lastModified: number): boolean => {
  const inm = headers["if-none-match"]
  if (typeof inm === "string") {
    const tags = inm.split(",").map((t) => t.trim().replace(/^W\//, ""))
    return tags.includes(etag) || tags.includes("*")
  }
  const ims = headers["if-modified-since"]
  const since = typeof ims === "string" ? Date.parse(ims) : NaN
  return Number.isFinite(since) && Math.floor(lastModified / 1000) * 1000 <= since
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (items: number, maxAge: number): Routes => {
  const versions = new Map<number, number>()
  const idempotent = new Map<string, string>()
  const item = (id: number) => {
    const version = versions.get(id) ?? 1
    return {
      body: { id: String(id), name: `item-${id}`, version },
      etag: `"item-${id}-v${version}"`,
      lastModified: ITEM_EPOCH + (id * 60 + version) * 1000
    }
  }
  const create = (headers: http.IncomingHttpHeaders, rawBody: string, n: number): Answer => {
    const key = headers["idempotency-key"]
    const keyText = typeof key === "string" ? key : undefined
    const replay = keyText === undefined ? undefined : idempotent.get(keyText)
    if (replay !== undefined) return [201, JSON.parse(replay), { "idempotent-replayed": "true" }]
    let parsed: unknown = null
    try {
      parsed = rawBody.length > 0 ? JSON.parse(rawBody) : null
    } catch {
      return [400, { error: "bad_request", message: "body is not JSON" }, {}]
    }
    const body = { id: `new-${n}`, idempotencyKey: keyText ?? null, received: parsed }
    if (keyText !== undefined) idempotent.set(keyText, JSON.stringify(body))
    return [201, body, {}]
  }
  const one = (method: string, idText: string, headers: http.IncomingHttpHeaders): Answer => {
    const id = Number(idText)
    if (!Number.isSafeInteger(id) || id < 1 || id > items) return [404, { error: "not_found" }, {}]
    if (method === "PUT") {
      versions.set(id, (versions.get(id) ?? 1) + 1)
      return [200, item(id).body, { etag: item(id).etag }]
    }
    if (method !== "GET") return [405, { error: "method_not_allowed" }, {}]
    const it = item(id)
    const cache = { etag: it.etag, "last-modified": new Date(it.lastModified).toUTCString(), "cache-control": `max-age=${maxAge}` }
    return notModified(headers, it.etag, it.lastModified) ? [304, undefined, cache] : [200, it.body, cache]
  }
  return {
    answer: (method, url, headers, rawBody, n) => {
      const p = url.pathname
      if (p === "/echo") return [200, { method, path: p, query: Object.fromEntries(url.searchParams), headers, body: rawBody || null }, {}]
      if (p === "/items" && method === "GET") return list(url, items, (id) => item(id).body)
      if (p === "/items" && method === "POST") return create(headers, rawBody, n)
      const m = /^\/items\/([^/]+)$/.exec(p)
      return m !== null ? one(method, m[1]!, headers) : [404, { error: "not_found" }, {}]
    },
    reset: () => {
      versions.clear()
      idempotent.clear()
    }
  }
}
