/** A loopback HTTP server (127.0.0.1, port 0) serving cache-relevant responses, counting requests. */
import { Effect } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface TestServer {
  readonly url: (path: string) => string
  /** Requests received per path (without query). */
  readonly count: (path: string) => number
  /** Conditional requests answered with 304, per path. */
  readonly notModified: (path: string) => number
  /** Request headers of the last request per path. */
  readonly lastHeaders: (path: string) => http.IncomingHttpHeaders | undefined
  /** Current representation version of /etag and /lm. */
  version: number
  /**
   * How the /stale/* routes answer: normally, or failing with a status, or by dropping the
   * connection (a transport error).
   */
  failing: "no" | 429 | 500 | 503 | "reset"
}

export const startServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; state: TestServer }>((resume) => {
    const counts = new Map<string, number>()
    const notModified = new Map<string, number>()
    const last = new Map<string, http.IncomingHttpHeaders>()
    const state: TestServer = {
      url: () => "",
      count: (p) => counts.get(p) ?? 0,
      notModified: (p) => notModified.get(p) ?? 0,
      lastHeaders: (p) => last.get(p),
      version: 1,
      failing: "no"
    }
    const lastModified = () => new Date(Date.UTC(2025, 0, state.version)).toUTCString()
    const server = http.createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname
      const n = (counts.get(path) ?? 0) + 1
      counts.set(path, n)
      last.set(path, req.headers)
      const send = (status: number, headers: Record<string, string | Array<string>>, body = "") => {
        res.writeHead(status, headers)
        res.end(body)
      }
      const answer304 = () => {
        notModified.set(path, (notModified.get(path) ?? 0) + 1)
      }
      if (path.startsWith("/stale/")) {
        // /stale/<name>: max-age=5 plus the route's own directives; fails as `state.failing` says.
        if (state.failing === "reset") return void req.socket.destroy()
        if (state.failing !== "no") return send(state.failing, { "cache-control": "no-store" }, `failing n${n}`)
        const extra: Record<string, string> = {
          "/stale/swr": "stale-while-revalidate=30",
          "/stale/sie": "stale-if-error=60",
          "/stale/both": "stale-while-revalidate=10, stale-if-error=60",
          "/stale/must-revalidate": "must-revalidate",
          "/stale/no-cache": "no-cache",
          "/stale/plain": ""
        }
        const cc = ["max-age=5", extra[path] ?? ""].filter((d) => d.length > 0).join(", ")
        return send(200, { "cache-control": cc, etag: `"n${n}"` }, `n${n}`)
      }
      switch (path) {
        case "/etag": {
          const etag = `"v${state.version}"`
          const headers = { etag, "cache-control": "max-age=10", "content-type": "text/plain" }
          if (req.headers["if-none-match"] === etag) {
            answer304()
            return send(304, headers)
          }
          return send(200, headers, `v${state.version}`)
        }
        case "/lm": {
          const headers = { "last-modified": lastModified(), "cache-control": "no-cache" }
          if (req.headers["if-modified-since"] === lastModified()) {
            answer304()
            return send(304, headers)
          }
          return send(200, headers, `lm${state.version}`)
        }
        case "/whoami":
          return send(200, { "cache-control": "max-age=60" }, `hello ${req.headers["authorization"] ?? "anonymous"}`)
        case "/maxage":
          return send(200, { "cache-control": "max-age=5" }, `n${n}`)
        case "/nostore":
          return send(200, { "cache-control": "no-store, max-age=60" }, `n${n}`)
        case "/private":
          return send(200, { "cache-control": "private, max-age=60" }, `n${n}`)
        case "/cookie":
          return send(200, { "cache-control": "max-age=60", "set-cookie": ["a=1", "b=2"] }, `n${n}`)
        case "/vary":
          return send(200, { "cache-control": "max-age=60", vary: "Accept" }, `${req.headers["accept"]} n${n}`)
        case "/json":
          return send(200, { "cache-control": "max-age=60", "content-type": "application/json" }, JSON.stringify({ n }))
        case "/empty":
          return send(204, { "cache-control": "max-age=60" })
        case "/slow":
          return void setTimeout(() => send(200, { "cache-control": "max-age=60" }, `slow n${n}`), 100)
        case "/slow-nostore":
          return void setTimeout(() => send(200, { "cache-control": "no-store" }, `slow n${n}`), 100)
        case "/error":
          return send(500, { "cache-control": "max-age=60" }, `error n${n}`)
        default:
          return send(404, { "cache-control": "max-age=60" }, `not found n${n}`)
      }
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ server, state: Object.assign(state, { url: (p: string) => `http://127.0.0.1:${port}${p}` }) }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ state }) => state))
