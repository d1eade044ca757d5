/**
 * Test support: a scripted loopback HTTP server and a driver that advances the TestClock through
 * every sleep of a forked effect while real I/O happens.
 */
import { it } from "@effect/vitest"
import { Chunk, Clock, Effect, type Exit, Fiber, Option, TestClock } from "effect"
import fc from "fast-check"
import * as http from "node:http"

export interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export type Reply =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | "destroy"

export interface TestServer {
  readonly url: string
  readonly seen: ReadonlyArray<Seen>
}

/** Starts a server on 127.0.0.1:0 answering request `n` (1-based) with `script(n, seen)`. */
export const startServer = (script: (n: number, req: Seen) => Reply) =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; api: TestServer }>((resume) => {
      const seen: Array<Seen> = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const s: Seen = {
            method: req.method ?? "",
            path: req.url ?? "",
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          seen.push(s)
          const reply = script(seen.length, s)
          if (reply === "destroy") {
            req.socket.destroy()
            return
          }
          res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers })
          res.end(reply.body ?? `status ${reply.status}`)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ server, api: { url: `http://127.0.0.1:${port}`, seen } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))

const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 2)))

/**
 * Forks `effect`, then until it completes: whenever it sleeps on the TestClock, records the wait
 * and advances the clock to the earliest wake-up; otherwise lets real I/O progress.
 */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const waits: Array<number> = []
    for (let i = 0; i < 20_000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return { exit: done.value as Exit.Exit<A, E>, waits }
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isNonEmpty(sleeps)) {
        const now = yield* Clock.currentTimeMillis
        const next = Math.min(...sleeps)
        waits.push(next - now)
        yield* TestClock.adjust(Math.max(0, next - now))
        continue
      }
      yield* realPause
    }
    return yield* Effect.dieMessage("drive: effect did not complete")
  })

/**
 * `it.prop` for the project's fast-check 4 (the `it.prop` of @effect/vitest is typed against the
 * fast-check bundled with effect): runs `body` over tuples drawn from `arbs`.
 */
export const prop = <Ts extends [unknown, ...Array<unknown>]>(
  name: string,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  body: (values: Ts) => void,
  params?: fc.Parameters<[Ts]>
) => it(name, () => fc.assert(fc.property(fc.tuple(...arbs) as unknown as fc.Arbitrary<Ts>, body), params))
