import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as SimulatedApi from "../../src/testing/SimulatedApi.js"
import { parseHeaders } from "../../src/cli/commands/probe.js"
import { runCli } from "./runCli.js"

const SECRET = "Bearer s3cr3t-probe-token-7f9a2c"

/** A loopback server that answers every request with `status`, remembering the request headers. */
const fixedServer = (status: number) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; seen: Array<http.IncomingHttpHeaders> }>((resume) => {
      const seen: Array<http.IncomingHttpHeaders> = []
      const server = http.createServer((req, res) => {
        seen.push(req.headers)
        res.writeHead(status, { "content-type": "text/plain" })
        res.end("nope")
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen, server })))
    }),
    (s) => Effect.sync(() => (s as unknown as { server: http.Server }).server.close())
  )

describe("effect-governor probe", () => {
  it("parseHeaders splits at the first colon and never echoes values in errors", () => {
    expect(parseHeaders(["Authorization: Bearer a:b", "X-Key:v"])).toEqual({
      headers: [["Authorization", "Bearer a:b"], ["X-Key", "v"]]
    })
    const bad = parseHeaders(["Authorization Bearer topsecret"])
    expect("error" in bad && bad.error).toContain("#1")
    expect(JSON.stringify(bad)).not.toContain("topsecret")
    expect("error" in parseHeaders(["Bad Name: x"])).toBe(true)
  })

  it.live("measures a simulated API's limit, never above it, under the cap counted at the server", () =>
    Effect.scoped(Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 40, burst: 40 })
      const r = yield* runCli([
        "probe",
        `${api.url}/items`,
        "--start-rate", "20",
        "--step-seconds", "0.5",
        "--measure-seconds", "1.5",
        "--max-requests", "200",
        "--header", `Authorization: ${SECRET}`,
        "--json"
      ])
      const counters = yield* api.counters
      expect(r.code).toBe(0)
      const report = JSON.parse(r.stdout)
      expect(report.stopped).toBe("measured")
      // Real time: a loaded machine sends late and measures low, so accuracy is held in virtual time
      // (probePlan.test.ts: within 10% of a known bucket); here only that it never errs high.
      expect(report.estimatedRate).toBeGreaterThan(0)
      expect(report.estimatedRate).toBeLessThan(40 * 1.2)
      expect(report.limitedAt).toBeGreaterThan(40)
      expect(counters.total).toBe(report.sent)
      expect(counters.total).toBeLessThanOrEqual(200)
      expect(counters.rejected429).toBe(report.rateLimited)
      expect(report.rateLimitHeaders["retry-after"]).toBeDefined()
      expect(r.stdout + r.stderr).not.toContain("s3cr3t")
    })), 30_000)

  it.live("never sends more than --max-requests, even when no 429 comes", () =>
    Effect.scoped(Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 1000, burst: 1000 })
      const r = yield* runCli([
        "probe", `${api.url}/items`, "--start-rate", "50", "--max-rate", "10000", "--step-seconds", "0.2", "--max-requests", "37"
      ])
      const counters = yield* api.counters
      expect(r.code).toBe(0)
      expect(counters.total).toBeLessThanOrEqual(37)
      expect(r.stdout).toContain("stopped: budget")
      expect(r.stdout).toContain("estimated sustainable rate: unknown")
    })), 30_000)

  it.live("stops as soon as rate-limit headers state the limit", () =>
    Effect.scoped(Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 10, burst: 10, headers: { ietf: true } })
      const r = yield* runCli(["probe", `${api.url}/items`, "--start-rate", "5", "--json"])
      const report = JSON.parse(r.stdout)
      expect(r.code).toBe(0)
      expect([report.stopped, report.estimateKind, report.estimatedRate]).toEqual(["headers", "headers", 10])
      expect((yield* api.counters).total).toBeLessThanOrEqual(5)
      expect(report.rateLimitHeaders["ratelimit-policy"]).toBe("\"default\";q=10;w=1")
    })), 30_000)

  it.live("stops at the first sign of trouble (a 5xx), exit 1, the token sent but never printed", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* fixedServer(503)
      const r = yield* runCli(["probe", server.url, "--header", `Authorization: ${SECRET}`, "--header", "X-Api-Key: k3y-v4lue-1234"])
      expect(r.code).toBe(1)
      expect(server.seen.length).toBe(1)
      expect(server.seen[0]!.authorization).toBe(SECRET)
      expect(server.seen[0]!["x-api-key"]).toBe("k3y-v4lue-1234")
      const all = r.stdout + r.stderr
      expect(all).toContain("unexpected HTTP 503")
      expect(all).toContain("Authorization: [REDACTED]")
      expect(all).not.toContain("s3cr3t")
      expect(all).not.toContain("k3y-v4lue")
    })), 30_000)

  it.live("a refused connection is trouble too; bad flags are usage errors", () =>
    Effect.gen(function*() {
      const refused = yield* runCli(["probe", "http://127.0.0.1:9/", "--timeout", "5"])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("probe stopped: request failed")
      expect((yield* runCli(["probe", "ftp://127.0.0.1/"])).code).toBe(2)
      const badRate = yield* runCli(["probe", "http://127.0.0.1:9/", "--start-rate", "0"])
      expect(badRate.code).toBe(2)
      expect(badRate.stderr).toContain("--start-rate")
      const badHeader = yield* runCli(["probe", "http://127.0.0.1:9/", "--header", "no-colon-s3cr3t"])
      expect(badHeader.code).toBe(2)
      expect(badHeader.stderr).not.toContain("s3cr3t")
    }), 30_000)
})
