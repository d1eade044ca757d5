import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { runCli, startCli } from "./runCli.js"

/** Poll `lines` until one matches `pattern` (real time, bounded). */
const waitForLine = (lines: ReadonlyArray<string>, pattern: RegExp) =>
  Effect.suspend(() => {
    const line = lines.find((l) => pattern.test(l))
    return line === undefined ? Effect.fail("not yet" as const) : Effect.succeed(line)
  }).pipe(Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 600 }))

describe("effect-governor metrics / simulate", () => {
  it.live("metrics --once prints the Prometheus text of a run through the resilient client", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["metrics", "--once", "--items", "20", "--rate", "100", "--burst", "50", "--error-rate", "0.1"])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^# HELP governor_/m)
      expect(r.stdout).toMatch(/^# TYPE governor_requests_total counter$/m)
      expect(r.stdout).toMatch(/^governor_requests_total\{.*api="simulated".*\} \d+/m)
      expect(r.stdout).toMatch(/^governor_retries_total\{api="simulated"\} [1-9]/m)
      // stdout is only the exposition: every line is a comment or a sample.
      for (const line of r.stdout.split("\n")) expect(line).toMatch(/^(#|governor_)/)
    }), 30_000)

  it.live("metrics serves /metrics on 127.0.0.1 while the workload runs", () =>
    Effect.gen(function*() {
      const cli = yield* startCli(["metrics", "--port", "0", "--items", "10", "--rate", "100", "--burst", "50"])
      const fiber = yield* Effect.fork(cli.run)
      const line = yield* waitForLine(cli.stdout, /Serving Prometheus metrics on /)
      const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(line)![1]!
      yield* waitForLine(cli.stdout, /Workload done/)
      const response = yield* Effect.promise(() => fetch(url))
      expect(response.status).toBe(200)
      const text = yield* Effect.promise(() => response.text())
      expect(text).toMatch(/^governor_requests_total\{.*api="simulated"/m)
      yield* Fiber.interrupt(fiber)
      expect(cli.stderr).toEqual([])
    }), 30_000)

  it.live("metrics reports a port in use as a runtime failure (exit 1)", () =>
    Effect.gen(function*() {
      const first = yield* startCli(["metrics", "--port", "0", "--items", "1", "--rate", "100", "--burst", "50"])
      const fiber = yield* Effect.fork(first.run)
      const line = yield* waitForLine(first.stdout, /Serving Prometheus metrics on /)
      const port = /:(\d+)\/metrics/.exec(line)![1]!
      const second = yield* runCli(["metrics", "--port", port])
      yield* Fiber.interrupt(fiber)
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(`could not listen on 127.0.0.1:${port}`)
    }), 30_000)

  it.live("simulate (spawned binary) prints its URL, answers, and stops cleanly on Ctrl-C", () =>
    Effect.gen(function*() {
      const main = path.resolve(__dirname, "../../src/cli/main.ts")
      const child = spawn(process.execPath, ["--import", "tsx", main, "simulate", "--port", "0", "--rate", "5", "--items", "3"], {
        cwd: path.resolve(__dirname, "../.."),
        stdio: ["ignore", "pipe", "pipe"]
      })
      const out: Array<string> = []
      child.stdout.on("data", (chunk: Buffer) => out.push(...chunk.toString("utf8").split("\n")))
      child.stderr.on("data", (chunk: Buffer) => out.push(...chunk.toString("utf8").split("\n")))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      try {
        const line = yield* waitForLine(out, /Simulated API listening on /)
        const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!
        const response = yield* Effect.promise(() => fetch(`${url}/items?limit=2`))
        expect(response.status).toBe(200)
        expect(yield* Effect.promise(() => response.json())).toMatchObject({ has_more: true, next_cursor: "c2" })
        child.kill("SIGINT")
        expect(yield* Effect.promise(() => exited)).toBe(0)
        expect(out.join("\n")).toContain("Stopped. 1 requests: 1 accepted")
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL")
      }
    }), 60_000)

  it.live("simulate --port listens on that port, on 127.0.0.1", () =>
    Effect.gen(function*() {
      const free = yield* Effect.async<number>((resume) => {
        const probe = net.createServer()
        probe.listen(0, "127.0.0.1", () => {
          const port = (probe.address() as net.AddressInfo).port
          probe.close(() => resume(Effect.succeed(port)))
        })
      })
      const cli = yield* startCli(["simulate", "--port", String(free), "--rate", "50", "--headers", "ietf"])
      const fiber = yield* Effect.fork(cli.run)
      yield* waitForLine(cli.stdout, new RegExp(`listening on http://127\\.0\\.0\\.1:${free}$`))
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${free}/items/1`))
      expect(response.status).toBe(200)
      expect(response.headers.get("ratelimit-policy")).toBe("\"default\";q=50;w=1")
      yield* Fiber.interrupt(fiber)
      expect(cli.stdout.join("\n")).toContain("Stopped. 1 requests: 1 accepted")
    }), 30_000)

  it.live("simulate --algorithm gcra --reject-status 503 answers as nginx: 503 without Retry-After", () =>
    Effect.gen(function*() {
      const cli = yield* startCli(["simulate", "--rate", "1", "--burst", "1", "--algorithm", "gcra", "--reject-status", "503", "--network-delay", "5-10"])
      const fiber = yield* Effect.fork(cli.run)
      const line = yield* waitForLine(cli.stdout, /Simulated API listening on /)
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!
      const first = yield* Effect.promise(() => fetch(`${url}/echo`))
      const second = yield* Effect.promise(() => fetch(`${url}/echo`))
      expect([first.status, second.status]).toEqual([200, 503])
      expect(second.headers.get("retry-after")).toBeNull()
      yield* Fiber.interrupt(fiber)
      expect(cli.stdout.join("\n")).toContain("gcra: hidden limit")
      expect(cli.stdout.join("\n")).toContain("Stopped. 2 requests: 1 accepted, 1 rejected by the limiter")
    }), 30_000)

  it.live("simulate rejects a window that does not hold whole requests, and a bad network delay, with exit 2", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["simulate", "--rate", "1.5", "--algorithm", "fixed-window", "--window", "1"])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("Invalid simulated API option \"rate\"")
      const d = yield* runCli(["simulate", "--network-delay", "soon"])
      expect(d.code).toBe(2)
      expect(d.stderr).toContain("--network-delay")
    }))

  it.live("simulate rejects bad limits with exit 2", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["simulate", "--rate", "-1"])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("Invalid simulated API option \"rate\"")
    }))
})
