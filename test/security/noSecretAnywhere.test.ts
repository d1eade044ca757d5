/**
 * "No secret anywhere" (issue 12): a high-entropy token is placed where real programs put one
 * (the config's auth header, x-api-key, a custom header, query, URL userinfo, path, request and
 * response bodies, Set-Cookie, a Vary-selected header, error bodies, the user's own log line, an
 * absolute URL to another host), requests run through the composed client against a loopback API
 * that hands the token back every way it can, with a memory, file and Redis cache, and every
 * observable output is searched for any 8 characters of the token:
 *
 * - log lines in every format (logfmt, json, pretty) for every mask style (full, partial, hash),
 *   through `RedactingLogger.layer` with a sink, at Debug with `logging.bodies` on;
 * - spans (names, attributes, events, the failure an exporter records), from a capturing tracer;
 * - the Prometheus exposition and `snapshot()`;
 * - the cache directory's files and every Redis key and value;
 * - `JSON.stringify` and `String` of every error the client returned.
 *
 * A scenario marked `knownLeak` leaked on the code this test was written against (the issue item
 * that fixes it is named in the test title): those tests fail until the fix lands, and then must
 * pass unchanged.
 */
import { HttpBody, HttpClient, type HttpClientError, type HttpClientResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Layer, Predicate, Redacted, Scope } from "effect"
import fc from "fast-check"
import { Redis as IORedis } from "ioredis"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { type MaskStyle, maskStyles } from "../../src/logging/redact.js"
import * as Prometheus from "../../src/metrics/prometheus.js"
import { makeCacheStore } from "../../src/redis/cacheStore.js"
import * as Redis from "../../src/redis/Redis.js"
import { type RedisServer, skipRedis, startRedisServer } from "../redis/server.js"
import { captureLogs, captureSpans, dumpDirectory, dumpRedis, logFormats } from "./capture.js"
import { type Finding, findSecret, formatFindings, type Output } from "./findSecret.js"
import { type LeakServer, startLeakServer } from "./server.js"

/** Tokens tried per scenario; each runs against every store and mask style. */
const RUNS = 3
const API = "leaky-api"
type Store = "memory" | "file" | "redis"
const stores: ReadonlyArray<Store> = skipRedis ? ["memory", "file"] : ["memory", "file", "redis"]

// URL-safe characters, so every encoding an output may apply (URL, JSON) leaves the token as it is.
const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
// Prefixes no built-in pattern knows (unlike `sk-`, `ghp_`, `xoxb-`): a pattern would mask such a
// token by its shape and hide an output that does not know the client's token, so every run must
// rely on the token being known.
const tokenArb = fc.tuple(
  fc.constantFrom("", "tok_", "key-", "pat_"),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 24, maxLength: 48 })
).filter(([, body]) => new Set(body).size >= 14).map(([prefix, body]) => prefix + body)

type GovernedClient = HttpClient.HttpClient.With<HttpClientError.HttpClientError | ResilientClient.GovernorError>

interface RunContext {
  readonly client: GovernedClient
  readonly token: string
  readonly server: LeakServer
  readonly foreign: LeakServer
  /** Every error the client returned. */
  readonly errors: Array<unknown>
  /** Wrong behaviour other than a leak (e.g. a request that reached another host). */
  readonly problems: Array<string>
}

interface Scenario {
  readonly name: string
  /** The issue 12 item(s) this scenario fails on until fixed. */
  readonly knownLeak?: string
  readonly auth?: { readonly scheme: "bearer" | "header"; readonly header?: string }
  /** Whether the token must reach the test API (proves the placement happened). Default true. */
  readonly reachesServer?: boolean
  readonly run: (ctx: RunContext) => Effect.Effect<void>
}

/** One request: its body is read (so the connection is released), its error kept. */
const call = (
  ctx: RunContext,
  response: Effect.Effect<HttpClientResponse.HttpClientResponse, unknown>
): Effect.Effect<void> =>
  response.pipe(
    Effect.flatMap((r) => r.text),
    Effect.matchEffect({
      onFailure: (error) => Effect.sync(() => void ctx.errors.push(error)),
      onSuccess: () => Effect.void
    })
  )

const get = (ctx: RunContext, path: string) => call(ctx, ctx.client.get(path))
/** The way a user turns error statuses into errors. */
const getOk = (ctx: RunContext, path: string) => call(ctx, HttpClient.filterStatusOk(ctx.client).get(path))

const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "Authorization: Bearer from the config's auth",
    run: (c) => Effect.all([get(c, "/plain/a"), get(c, "/plain/a")], { discard: true })
  },
  {
    name: "X-Api-Key from the config's auth",
    auth: { scheme: "header", header: "X-Api-Key" },
    run: (c) => Effect.all([get(c, "/plain/a"), get(c, "/plain/a")], { discard: true })
  },
  {
    name: "custom credential header (X-Vendor-Credential) from the config's auth",
    auth: { scheme: "header", header: "X-Vendor-Credential" },
    run: (c) => Effect.all([get(c, "/plain/a"), get(c, "/plain/a")], { discard: true })
  },
  {
    name: "query parameters (a known name and an unknown one)",
    knownLeak: "item 2: span url.full",
    run: (c) =>
      Effect.all([
        get(c, `/plain/search?cursor=${c.token}`),
        call(c, c.client.get("/plain/search", { urlParams: { api_key: c.token, page: "2" } }))
      ], { discard: true })
  },
  {
    name: "path segment",
    knownLeak: "item 2: span url.full / url.path",
    run: (c) => Effect.all([get(c, `/plain/files/${c.token}/meta`), get(c, `/plain/files/${c.token}/meta`)], { discard: true })
  },
  {
    name: "URL userinfo (absolute URL on the base URL's origin)",
    knownLeak: "items 3 and 6: mangled URL in logs, spans, errors",
    // Refusing to send a URL with userinfo is as good as sending it safely.
    reachesServer: false,
    run: (c) => get(c, `http://user:${c.token}@127.0.0.1:${c.server.port}/plain/userinfo`)
  },
  {
    name: "request bodies (JSON and text)",
    run: (c) =>
      Effect.all([
        call(c, c.client.post("/plain/upload", { body: HttpBody.unsafeJson({ note: c.token, nested: { value: c.token } }) })),
        call(c, c.client.post("/plain/upload", { body: HttpBody.text(`the value is ${c.token}`) }))
      ], { discard: true })
  },
  {
    name: "response body echoing the request",
    knownLeak: "item 1: body stored in file/Redis cache",
    run: (c) =>
      Effect.all([
        get(c, "/echo/body"),
        get(c, "/echo/body"),
        call(c, c.client.post("/echo/body", { body: HttpBody.unsafeJson({ note: c.token }) }))
      ], { discard: true })
  },
  {
    name: "response header echoing the credential",
    knownLeak: "item 1: header stored in file/Redis cache",
    run: (c) => Effect.all([get(c, "/echo/header"), get(c, "/echo/header")], { discard: true })
  },
  {
    name: "Set-Cookie (a success and an error status)",
    knownLeak: "item 6: raw headers in ResponseError JSON",
    run: (c) => Effect.all([get(c, "/set-cookie"), getOk(c, "/set-cookie?status=403")], { discard: true })
  },
  {
    name: "Vary-selected credential header",
    knownLeak: "item 1: Vary value stored in file/Redis cache",
    run: (c) => Effect.all([get(c, "/vary"), get(c, "/vary")], { discard: true })
  },
  {
    name: "error bodies (401 through filterStatusOk, 500 until retries run out)",
    knownLeak: "item 6: raw headers in error JSON",
    run: (c) => Effect.all([getOk(c, "/error/401"), get(c, "/error/500")], { discard: true })
  },
  {
    name: "transport error (connection reset) with the token in an unknown query parameter",
    knownLeak: "items 2, 5 and 6: span url.full, the runtime's unhandled-fiber debug line, error JSON",
    run: (c) => get(c, `/reset/items?cursor=${c.token}`)
  },
  {
    name: "the user's own log line next to the client",
    knownLeak: "item 5: user log lines and span events",
    run: (c) =>
      Effect.all([
        Effect.logWarning(`syncing tasks with token ${c.token}`),
        get(c, "/plain/a")
      ], { discard: true })
  },
  {
    name: "absolute URL with userinfo to another host (refused with a typed error)",
    knownLeak: "items 3 and 6: mangled URL, userinfo in logs, spans, errors",
    reachesServer: false,
    run: (c) =>
      Effect.gen(function*() {
        const before = c.foreign.seen.length
        const result = yield* Effect.either(c.client.get(`http://user:${c.token}@127.0.0.1:${c.foreign.port}/plain/steal`))
        if (result._tag === "Right") {
          c.problems.push(`a request to another origin succeeded (status ${result.right.status})`)
          yield* Effect.ignore(result.right.text)
        } else {
          c.errors.push(result.left)
          if (!Predicate.hasProperty(result.left, "_tag") || typeof result.left._tag !== "string") {
            c.problems.push("the refusal is not a typed error (no _tag)")
          }
          // The base URL glued in front of the absolute URL is the mangling of issue 12 item 3.
          if (String(result.left.message).includes(`${c.server.url}http`)) {
            c.problems.push(`the absolute URL was glued to the base URL: ${result.left._tag} "${result.left.message}"`)
          }
        }
        if (c.foreign.seen.length !== before) c.problems.push(`the other host received ${c.foreign.seen.length - before} request(s)`)
      })
  }
]

// ---------------------------------------------------------------------------------------------
// Servers shared by every run
// ---------------------------------------------------------------------------------------------

let server: LeakServer
let foreign: LeakServer
let redisServer: RedisServer | undefined
let redisScope: Scope.CloseableScope | undefined
let redisContext: Context.Context<Redis.Redis> | undefined
let redisRaw: IORedis | undefined

beforeAll(async () => {
  server = await startLeakServer()
  foreign = await startLeakServer()
  if (!skipRedis) {
    redisServer = await startRedisServer()
    redisScope = Effect.runSync(Scope.make())
    redisContext = await Effect.runPromise(Layer.buildWithScope(Redis.layer({ url: redisServer.url, prefix: "leak" }), redisScope))
    redisRaw = new IORedis(redisServer.url, { maxRetriesPerRequest: 1 })
  }
}, 30_000)

afterAll(async () => {
  await redisRaw?.quit().catch(() => undefined)
  if (redisScope !== undefined) await Effect.runPromise(Scope.close(redisScope, Exit.void))
  await redisServer?.stop()
  await server?.close()
  await foreign?.close()
})

// ---------------------------------------------------------------------------------------------
// One execution: a scenario with one token, one store and one mask style
// ---------------------------------------------------------------------------------------------

interface Execution {
  readonly outputs: ReadonlyArray<Output>
  readonly problems: ReadonlyArray<string>
  /** What the test API received (to check the token was really placed). */
  readonly received: ReadonlyArray<Output>
}

const configFor = (scenario: Scenario, store: Store, mask: MaskStyle, directory: string | undefined) =>
  ApiConfig.decode({
    name: API,
    baseUrl: server.url,
    retry: { maxRetries: 1, initialDelay: "1 millis", maxDelay: "2 millis", jitter: "none" },
    cache: { enabled: true, store, defaultTtl: "1 minute", ...(directory === undefined ? {} : { directory }) },
    logging: { level: "debug", bodies: true, maskStyle: mask },
    auth: scenario.auth ?? { scheme: "bearer" }
  })

/** The cache the user provides for `store: "redis"`: the Redis store on the shared connection. */
const redisCacheLayer = (): Layer.Layer<ResponseCache.ResponseCache> =>
  ResponseCache.layer(makeCacheStore(), { policy: { defaultTtl: Duration.minutes(1) } }).pipe(
    Layer.provide(Layer.succeedContext(redisContext!)),
    Layer.orDie
  )

const errorOutputs = (errors: ReadonlyArray<unknown>): Array<Output> =>
  errors.flatMap((error, i) => {
    const tag = Predicate.hasProperty(error, "_tag") ? String(error._tag) : typeof error
    let json: string
    try {
      json = JSON.stringify(error) ?? "undefined"
    } catch (e) {
      json = `JSON.stringify threw: ${String(e)}`
    }
    return [
      { where: `error #${i} ${tag}: JSON.stringify`, text: json },
      { where: `error #${i} ${tag}: String`, text: String(error) }
    ]
  })

const execute = async (scenario: Scenario, token: string, store: Store, mask: MaskStyle): Promise<Execution> => {
  const directory = store === "file" ? await mkdtemp(join(tmpdir(), "no-secret-")) : undefined
  const logs = captureLogs(mask)
  const spans = captureSpans()
  const errors: Array<unknown> = []
  const problems: Array<string> = []
  const seenBefore = server.seen.length
  try {
    const config = await Effect.runPromise(configFor(scenario, store, mask, directory))
    const program = Effect.gen(function*() {
      const governed = yield* ResilientClient.make(config, { token: Redacted.make(token) })
      yield* scenario.run({ client: governed.client, token, server, foreign, errors, problems })
      return JSON.stringify(yield* governed.snapshot())
    })
    const services = Layer.mergeAll(
      logs.layer,
      NodeHttpClient.layerUndici,
      NodeFileSystem.layer,
      store === "redis" ? redisCacheLayer() : Layer.empty
    )
    const snapshot = await Effect.runPromise(program.pipe(
      Effect.scoped,
      Effect.withSpan("user-program"),
      Effect.withTracer(spans.tracer),
      Effect.provide(services)
    ))
    const outputs: Array<Output> = [
      ...logs.outputs(),
      ...spans.outputs(),
      { where: "Prometheus exposition", text: await Effect.runPromise(Prometheus.prometheusText()) },
      { where: "snapshot()", text: snapshot },
      ...errorOutputs(errors),
      ...(directory === undefined ? [] : await dumpDirectory(directory)),
      ...(store === "redis" ? await dumpRedis(redisRaw!) : [])
    ]
    // The harness itself: an empty capture would make the search pass for nothing.
    for (const format of logFormats) {
      if (logs.lines.get(format)!.length === 0) problems.push(`harness: no ${format} log line was captured`)
    }
    if (spans.spans.length < 2) problems.push("harness: the client recorded no span")
    const received = server.seen.slice(seenBefore).map((s, i) => ({
      where: `request #${i} received`,
      text: JSON.stringify(s)
    }))
    return { outputs, problems, received }
  } finally {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true })
  }
}

interface Report extends Finding {
  readonly context: string
}

/** Every leak and wrong behaviour of one token across stores and mask styles. */
const check = async (scenario: Scenario, token: string, baselineToken: string): Promise<Array<Report>> => {
  const reports: Array<Report> = []
  for (const store of stores) {
    for (const mask of maskStyles) {
      const context = `${store}/${mask}`
      const run = await execute(scenario, token, store, mask)
      let findings = findSecret(token, run.outputs)
      if (findings.length > 0) {
        // Only runs of the token absent from a run with another token count (not the output's own text).
        const baseline = await execute(scenario, baselineToken, store, mask)
        findings = findSecret(token, run.outputs, { baseline: baseline.outputs })
      }
      reports.push(...findings.map((f) => ({ ...f, context })))
      for (const problem of run.problems) reports.push({ context, where: "behaviour", match: "", excerpt: problem })
      if ((scenario.reachesServer ?? true) && findSecret(token, run.received).length === 0) {
        reports.push({ context, where: "harness", match: "", excerpt: "the token never reached the test API" })
      }
    }
  }
  return reports
}

describe("no secret anywhere (issue 12)", () => {
  for (const scenario of scenarios) {
    const title = scenario.knownLeak === undefined
      ? scenario.name
      : `[leaks until issue 12 ${scenario.knownLeak}] ${scenario.name}`
    it(title, async () => {
      await fc.assert(
        fc.asyncProperty(tokenArb, tokenArb, async (token, baselineToken) => {
          fc.pre(token !== baselineToken)
          const reports = await check(scenario, token, baselineToken)
          if (reports.length > 0) {
            throw new Error(`token ${token} leaked or misbehaved in ${reports.length} place(s):\n${formatFindings(reports)}`)
          }
        }),
        { numRuns: RUNS, endOnFailure: true }
      )
    }, 60_000)
  }
})
