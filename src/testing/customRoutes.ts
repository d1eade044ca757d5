/**
 * Routes a test mounts on the simulated API, behind the same hidden limit, network delays and faults
 * as the built-in ones: `{ "GET /users/:id": (req) => ({ body: { id: req.params.id } }) }`. A mounted
 * route wins over a built-in one of the same method and path; its key is its name in the counters.
 *
 * @since 0.1.0
 */
import type * as http from "node:http"
import { InvalidSimulatedApiOptions } from "./simulatedApiOptions.js"

/**
 * An admitted request, as a handler sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface SimulatedRequest {
  readonly method: string
  readonly url: URL
  /** `:name` segments of the route's pattern, decoded. */
  readonly params: Readonly<Record<string, string>>
  readonly headers: http.IncomingHttpHeaders
  /** The raw request body (UTF-8), `""` when there is none. */
  readonly body: string
  /** 1 for the first request the server's limiter saw, rejected ones included. */
  readonly requestNumber: number
}

/**
 * What a handler answers: status (default 200), a JSON body (none when `undefined`), extra headers.
 *
 * @since 0.1.0
 * @category models
 */
export interface SimulatedResponse {
  readonly status?: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * Handlers by `"METHOD /path"`, where a segment `:name` matches any one segment (`"GET /users/:id"`).
 *
 * @since 0.1.0
 * @category models
 */
export type Routes = Readonly<Record<string, (request: SimulatedRequest) => SimulatedResponse>>

/**
 * A mounted route, its key checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Compiled {
  readonly name: string
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly handler: (request: SimulatedRequest) => SimulatedResponse
}

const KEY = /^([A-Z]+) (\/[^\s?#]*)$/

/**
 * Check the keys once, when the server starts: a bad key names itself in the error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (routes: Routes): ReadonlyArray<Compiled> | InvalidSimulatedApiOptions => {
  const compiled: Array<Compiled> = []
  for (const [name, handler] of Object.entries(routes)) {
    const m = KEY.exec(name)
    if (m === null || typeof handler !== "function") {
      return new InvalidSimulatedApiOptions({
        field: `routes[${JSON.stringify(name)}]`,
        reason: m === null ? "Expected \"METHOD /path\" (e.g. \"GET /users/:id\")" : "Expected a handler function"
      })
    }
    compiled.push({ name, method: m[1]!, segments: m[2]!.split("/").slice(1), handler })
  }
  return compiled
}

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const match = (route: Compiled, method: string, path: string): Record<string, string> | undefined => {
  if (route.method !== method) return undefined
  const parts = path.split("/").slice(1)
  if (parts.length !== route.segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < parts.length; i++) {
    const seg = route.segments[i]!
    if (seg.startsWith(":") && parts[i] !== "") {
      const value = decode(parts[i]!)
      if (value === undefined) return undefined
      params[seg.slice(1)] = value
    } else if (seg !== parts[i]) return undefined
  }
  return params
}

/**
 * The mounted route a request goes to, if any: its name and the answer, computed lazily (only for an
 * admitted request). A handler that throws answers 500.
 *
 * @since 0.1.0
 * @category routing
 */
export const find = (
  routes: ReadonlyArray<Compiled>,
  method: string,
  url: URL
): { readonly name: string; readonly answer: (req: Omit<SimulatedRequest, "params" | "method" | "url">) => readonly [number, unknown, Record<string, string>] } | undefined => {
  for (const route of routes) {
    const params = match(route, method, url.pathname)
    if (params === undefined) continue
    return {
      name: route.name,
      answer: (req) => {
        try {
          const r = route.handler({ ...req, method, url, params })
          return [r.status ?? 200, r.body, { ...r.headers }]
        } catch (e) {
          return [500, { error: "handler_failed", message: e instanceof Error ? e.message : String(e) }, {}]
        }
      }
    }
  }
  return undefined
}
