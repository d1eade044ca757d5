/**
 * A loopback API that hands a client's credential back in every way a real server might: echoed in
 * bodies and headers, in `Set-Cookie`, in error bodies, and as a `Vary`-selected request header.
 * It learns the credential from the request itself (Authorization, X-Api-Key or X-Vendor-Credential),
 * so it needs no knowledge of the test's token. Started once per test file and shared by every run.
 *
 * | route            | answer                                                                      |
 * |------------------|-----------------------------------------------------------------------------|
 * | `/plain/*`       | 200 `{"ok":true}`, cacheable; the request body is read and dropped           |
 * | `/echo/body`     | 200, cacheable, JSON of the request's method, URL, headers and body          |
 * | `/echo/header`   | 200, cacheable, the credential in an `x-echo-credential` response header     |
 * | `/set-cookie`    | `?status=` (default 200), `Set-Cookie: session=<credential>`                 |
 * | `/vary`          | 200, cacheable, `Vary` on the three credential headers                       |
 * | `/error/401`     | 401, the credential in the body, `WWW-Authenticate` and `Set-Cookie`         |
 * | `/error/500`     | 500, the credential in a text body                                           |
 * | `/reset/*`       | the connection is destroyed without an answer (a transport error)            |
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

export interface LeakServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Every request received, in order. */
  readonly seen: Array<SeenRequest>
  readonly close: () => Promise<void>
}

const CACHEABLE = { "cache-control": "max-age=60" }

/** The credential the request carried, whichever header it came in. */
export const credentialOf = (headers: http.IncomingHttpHeaders): string => {
  const auth = headers["authorization"]
  if (typeof auth === "string") return auth.replace(/^Bearer\s+/i, "")
  for (const name of ["x-api-key", "x-vendor-credential"]) {
    const value = headers[name]
    if (typeof value === "string") return value
  }
  return ""
}

interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value)
})

const route = (req: SeenRequest, body: string): Answer => {
  const url = new URL(req.url, "http://127.0.0.1")
  const credential = credentialOf(req.headers)
  switch (url.pathname) {
    case "/echo/body":
      return json(200, { method: req.method, url: req.url, headers: req.headers, body }, CACHEABLE)
    case "/echo/header":
      return json(200, { ok: true }, { ...CACHEABLE, "x-echo-credential": credential })
    case "/set-cookie":
      return json(Number(url.searchParams.get("status") ?? "200"), { ok: true }, {
        ...CACHEABLE,
        "set-cookie": `session=${credential}; Path=/; HttpOnly`
      })
    case "/vary":
      return json(200, { ok: true }, { ...CACHEABLE, vary: "Authorization, X-Api-Key, X-Vendor-Credential" })
    case "/error/401":
      return json(401, { error: "invalid_token", detail: `token ${credential} is not valid` }, {
        "www-authenticate": `Bearer error="invalid_token", token="${credential}"`,
        "set-cookie": `session=${credential}; Path=/`
      })
    case "/error/500":
      return { status: 500, headers: { "content-type": "text/plain" }, body: `internal error while using ${credential}` }
    default:
      return url.pathname.startsWith("/plain/")
        ? json(200, { ok: true }, CACHEABLE)
        : json(404, { error: "no such route" })
  }
}

/** Starts the server on a free loopback port. */
export const startLeakServer = (): Promise<LeakServer> =>
  new Promise((resolve) => {
    const seen: Array<SeenRequest> = []
    const server = http.createServer((req, res) => {
      const entry: SeenRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers }
      seen.push(entry)
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        if (entry.url.startsWith("/reset/")) return req.socket.destroy()
        const answer = route(entry, Buffer.concat(chunks).toString("utf8"))
        res.writeHead(answer.status, answer.headers)
        res.end(answer.body)
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        seen,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
