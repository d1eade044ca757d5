/**
 * Runs every example as its own process, the way a user does (`node --import tsx examples/<name>.ts`,
 * what `npx tsx` does minus the npx start-up), with `EXAMPLE_FAST=1`, and checks the exit code and
 * what it printed. Type-checking of the examples comes from `tsc` in `npm test`.
 *
 * Every process talks to 127.0.0.1 only: `BASE_URL` and every token variable are removed from the
 * child's environment, so each example starts its own simulated API; the Notion run in "real
 * service" mode points `BASE_URL` at a Notion-shaped server this test starts on loopback.
 */
import { spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "vitest"

const ROOT = new URL("../../", import.meta.url).pathname
const TIMEOUT_MS = 120_000

/** Variables that could point an example at a real service or carry a real credential. */
const SCRUBBED = ["BASE_URL", "NOTION_TOKEN", "NOTION_DATABASE_ID", "GITHUB_TOKEN", "GITHUB_PATHS", "OPENAI_API_KEY", "ETL_API_TOKEN", "LOG_LEVEL"]

const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  for (const name of SCRUBBED) delete env[name]
  return { ...env, ...extra }
}

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

interface Started {
  readonly pid: number
  readonly stdout: () => string
  /** Resolves once stdout matches `pattern` (with the match), rejects if the process ends first. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>
  readonly kill: (signal: NodeJS.Signals) => void
  readonly done: Promise<Run>
}

const start = (example: string, env: Record<string, string>): Started => {
  const began = Date.now()
  const child = spawn(process.execPath, ["--import", "tsx", `examples/${example}.ts`], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const watchers = new Set<() => void>()
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    for (const w of watchers) w()
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const killer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS)
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(killer)
      for (const w of watchers) w()
      resolve({ code, signal, stdout, stderr, ms: Date.now() - began })
    })
  })
  return {
    pid: child.pid!,
    stdout: () => stdout,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern)
          if (m !== null) {
            watchers.delete(check)
            resolve(m)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(check)
            reject(new Error(`examples/${example}.ts ended before printing ${pattern}:\n${stdout}\n${stderr}`))
          }
        }
        watchers.add(check)
        check()
      }),
    kill: (signal) => child.kill(signal),
    done
  }
}

const run = (example: string, env: Record<string, string> = {}) => start(example, { EXAMPLE_FAST: "1", ...env }).done

/** The exit code, with the output attached when it is not 0. */
const expectSuccess = (r: Run) => expect({ code: r.code, ...(r.code === 0 ? {} : { stdout: r.stdout, stderr: r.stderr }) }).toEqual({ code: 0 })

const lines = (text: string, pattern: RegExp) => text.split("\n").filter((l) => pattern.test(l))

describe.concurrent("examples", { timeout: TIMEOUT_MS + 10_000 }, () => {
  it("notion.ts: paginates the database as a stream and retrieves pages at Notion's pace", async () => {
    const r = await run("notion")
    expectSuccess(r)
    expect(lines(r.stdout, /query page: \d+ results/).map((l) => Number(/(\d+) results/.exec(l)![1]))).toEqual([10, 10, 4])
    expect(r.stdout).toContain("database has 24 pages")
    const retrieved = lines(r.stdout, /retrieved \S+ +"item-\d+"/).map((l) => /"(item-\d+)"/.exec(l)![1]).sort()
    expect(retrieved).toEqual(Array.from({ length: 8 }, (_, i) => `item-${i + 1}`).sort())
    // 3 query pages + 8 lookups reached the API (429s, if any, come on top and were retried).
    const sim = /simulated API: (\d+) requests, (\d+) accepted, (\d+) answered 429/.exec(r.stdout)
    expect(sim).not.toBeNull()
    expect(Number(sim![2])).toBe(11)
    expect(Number(sim![1])).toBe(11 + Number(sim![3]))
  })

  it("notion.ts with BASE_URL: speaks Notion's wire format, sends the token and Notion-Version, never prints the token", async () => {
    const token = "secret_example_token_0123456789"
    const notion = await fakeNotion()
    try {
      const r = await run("notion", { BASE_URL: `${notion.url}/v1`, NOTION_TOKEN: token, NOTION_DATABASE_ID: "db-42" })
      expectSuccess(r)
      expect(r.stdout).toContain(`database has ${NOTION_PAGES.length} pages`)
      expect(lines(r.stdout, /query page: \d+ results/).length).toBe(3)
      // Titles come from each page's "title" property.
      for (const page of NOTION_PAGES.slice(0, 8)) expect(r.stdout).toContain(JSON.stringify(page.title))
      expect(r.stdout + r.stderr).not.toContain(token)

      const queries = notion.seen.filter((s) => s.method === "POST")
      expect(queries.map((q) => q.url)).toEqual(Array(3).fill("/v1/databases/db-42/query"))
      expect(queries.map((q) => JSON.parse(q.body).start_cursor ?? null)).toEqual([null, "cursor-10", "cursor-20"])
      expect(notion.seen.filter((s) => s.method === "GET").length).toBe(8)
      for (const s of notion.seen) {
        expect(s.headers["authorization"]).toBe(`Bearer ${token}`)
        expect(s.headers["notion-version"]).toBe("2022-06-28")
      }
    } finally {
      await notion.close()
    }
  })

  it("github.ts: ETag revalidation served from the cache, then header-paced reads", async () => {
    const r = await run("github")
    expectSuccess(r)
    expect(lines(r.stdout, /x-cache MISS/).length).toBe(4)
    expect(lines(r.stdout, /x-cache REVALIDATED/).length).toBe(5)
    expect(r.stdout).toMatch(/GET \/items\/2 +200 +x-cache MISS +etag "item-2-v2"/)
    expect(r.stdout).toContain("the API answered 5 of 9 reads with 304 Not Modified")
    expect(r.stdout).toMatch(/40 reads \(16 at a time\)/)
    const snapshot = JSON.parse(/adaptive snapshot: (\{.*\})/.exec(r.stdout)![1]!)
    expect(snapshot.source).toBe("header")
    expect(snapshot.phase).toBe("header")
    expect(snapshot.currentRate).toBeGreaterThan(0)
  })

  it("openai-like.ts: rpm + tpm limits, each lease adjusted to the tokens used", async () => {
    const r = await run("openai-like")
    expectSuccess(r)
    const calls = lines(r.stdout, /tokens leased at/).map((l) => {
      const m = /estimate (\d+) tokens, used +(\d+), (\d+) given back/.exec(l)!
      return { estimate: Number(m[1]), used: Number(m[2]), back: Number(m[3]) }
    })
    expect(calls.length).toBe(12)
    for (const c of calls) {
      expect(c.used).toBeLessThan(c.estimate)
      expect(c.back).toBe(c.estimate - c.used)
    }
    const total = Number(/(\d+) estimated tokens given back/.exec(r.stdout)![1])
    expect(total).toBe(calls.reduce((n, c) => n + c.back, 0))
    expect(r.stdout).toMatch(/^ {2}rpm /m)
    expect(r.stdout).toMatch(/^ {2}tpm /m)
    expect(r.stdout).toContain("requests 12, retries 0")
  })

  it("etl-worker.ts (fast): a fixed batch of jobs, then its own /metrics", async () => {
    const r = await run("etl-worker")
    expectSuccess(r)
    expect(r.stdout).toMatch(/^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m)
    expect(r.stdout).toMatch(/loaded 40 \(0 replayed\), failed 0/)
    // 40 extracts + 40 loads, all successful in the end.
    expect(r.stdout).toMatch(/governor_requests_total\{api="etl-source",outcome="success",status_class="2xx"\} 80$/m)
    expect(r.stdout).toMatch(/governor_breaker_state\{api="etl-source"\} 0$/m)
  })

  it("etl-worker.ts (long-running): serves /metrics while working and drains in-flight jobs on SIGINT", async () => {
    const worker = start("etl-worker", {})
    try {
      const [, url] = await worker.waitFor(/^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m)
      await worker.waitFor(/loaded [1-9]\d* \(/)
      const res = await fetch(url!)
      expect(res.status).toBe(200)
      expect(await res.text()).toMatch(/^governor_requests_total\{api="etl-source",outcome="success",status_class="2xx"\} [1-9]/m)
      worker.kill("SIGINT")
      const r = await worker.done
      expectSuccess(r)
      expect(r.stdout).toMatch(/shutdown requested: finishing \d+ job\(s\) in flight, taking no new ones/)
      expect(r.stdout).toContain("drained, in flight now 0; bye")
    } finally {
      worker.kill("SIGKILL")
    }
  })

  it("multi-tenant.ts: app > customer > user admitted together; one token's 429 pauses its user only", async () => {
    const r = await run("multi-tenant")
    expectSuccess(r)
    for (const user of ["acme-ann", "acme-bob", "globex-cy"]) {
      expect(r.stdout).toMatch(new RegExp(`${user} done: 8 requests, the last one answered for "${user}"`))
    }
    const pause = /429 at (\d+) ms \(Retry-After: 1 s\); globex-cy resumed at (\d+) ms; meanwhile acme's users got (\d+) answers/.exec(r.stdout)
    expect(pause).not.toBeNull()
    expect(Number(pause![2]) - Number(pause![1])).toBeGreaterThanOrEqual(900)
    expect(Number(pause![3])).toBeGreaterThan(0)
    expect(r.stdout).toMatch(/refused: Rate limit exceeded for key "acme-eve@vendor" \(rps\); retry after [^;]+; blocked at acme \(rps, /)
    const usage = Object.fromEntries([...r.stdout.matchAll(/^usage (\S+): (\d+) admitted$/gm)].map((m) => [m[1]!, Number(m[2])]))
    expect(usage["app"]).toBe(usage["acme"]! + usage["globex"]!)
    expect(usage["acme"]).toBe(usage["acme-ann"]! + usage["acme-bob"]! + usage["acme-eve"]!)
    // Every request once, plus globex-cy's retry after its 429.
    expect(usage["globex-cy"]).toBe(9)
    expect(r.stdout).toContain("the vendor answered 25 requests, 1 with 429")
    expect(r.stdout).toMatch(/^capacity app +\(entity +\) [\d.]+\/10 rps/m)
  })

  it("testing.ts: the TestClock and simulated-API checks pass", async () => {
    const r = await run("testing")
    expectSuccess(r)
    expect(r.stdout).not.toContain("FAILED")
    expect(lines(r.stdout, /^ {2}ok /).length).toBe(7)
    expect(r.stdout).toContain("all checks passed")
  })
})

// ---------------------------------------------------------------------------------------------
// A Notion-shaped loopback server for the BASE_URL run
// ---------------------------------------------------------------------------------------------

const NOTION_PAGES = Array.from({ length: 23 }, (_, i) => ({
  id: `5c6a2821-6bb1-4a7e-b6e1-${String(i + 1).padStart(12, "0")}`,
  title: `Meeting notes ${i + 1}`
}))

const notionPage = (p: { id: string; title: string }) => ({
  object: "page",
  id: p.id,
  created_time: "2024-01-01T00:00:00.000Z",
  last_edited_time: "2024-02-01T12:30:00.000Z",
  archived: false,
  url: `https://www.notion.so/${p.id.replace(/-/g, "")}`,
  properties: {
    Status: { id: "a%3Ab", type: "select", select: { name: "Done" } },
    Name: { id: "title", type: "title", title: [{ type: "text", plain_text: p.title.slice(0, 8) }, { type: "text", plain_text: p.title.slice(8) }] }
  }
})

interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

const fakeNotion = () =>
  new Promise<{ url: string; seen: Array<SeenRequest>; close: () => Promise<void> }>((resolve) => {
    const seen: Array<SeenRequest> = []
    const server = http.createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8").on("data", (c: string) => {
        body += c
      })
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify(json))
        }
        const query = /^\/v1\/databases\/([^/]+)\/query$/.exec(req.url ?? "")
        if (req.method === "POST" && query !== null) {
          const { start_cursor, page_size } = JSON.parse(body) as { start_cursor?: string; page_size: number }
          const from = start_cursor === undefined ? 0 : Number(start_cursor.replace("cursor-", ""))
          const to = Math.min(NOTION_PAGES.length, from + page_size)
          return send(200, {
            object: "list",
            results: NOTION_PAGES.slice(from, to).map(notionPage),
            next_cursor: to < NOTION_PAGES.length ? `cursor-${to}` : null,
            has_more: to < NOTION_PAGES.length,
            type: "page_or_database"
          })
        }
        const page = /^\/v1\/pages\/([^/]+)$/.exec(req.url ?? "")
        const found = page === null ? undefined : NOTION_PAGES.find((p) => p.id === page[1])
        if (req.method === "GET" && found !== undefined) return send(200, notionPage(found))
        send(404, { object: "error", status: 404, code: "object_not_found", message: "Could not find the object." })
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
