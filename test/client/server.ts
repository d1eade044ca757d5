/**
 * A programmable loopback server for client tests: each request is answered by `handler`, and every
 * request (method, url, headers) is recorded so tests can count what reached the upstream.
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

export interface Reply {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
  /** Destroy the socket instead of answering (a transport error at the client). */
  readonly reset?: boolean
  readonly delayMs?: number
}

export interface TestServer {
  readonly url: string
  readonly seen: Array<Seen>
}

export const startServer = (
  handler: (req: Seen, n: number) => Reply
): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; state: TestServer }>((resume) => {
      const seen: Array<Seen> = []
      const server = http.createServer((req, res) => {
        const entry: Seen = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers }
        seen.push(entry)
        const reply = handler(entry, seen.length)
        req.resume()
        const send = () => {
          if (reply.reset === true) return req.socket.destroy()
          const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
          res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
          res.end(body)
        }
        if (reply.delayMs !== undefined) setTimeout(send, reply.delayMs)
        else send()
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ server, state: { url: `http://127.0.0.1:${port}`, seen } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))
