/**
 * The main job, run as a user runs it (`tsx examples/demo.ts`), with a token in DEMO_API_TOKEN, every
 * request logged with headers (`--log-level debug`) and the metrics written: it must succeed and no
 * part of the token may appear in anything it prints or writes.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { demoSettings } from "../examples/demo-settings.js"

const TOKEN = "dmo_7Hq2ZpX9wLk4Vb8NcR3tYf6Js1Ue5Ga0"

describe("npm run demo", () => {
  it("runs the workload, exits 0, writes Prometheus metrics and never shows the token", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eg-demo-"))
    const metricsFile = path.join(dir, "metrics.prom")
    try {
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", "examples/demo.ts", "--log-level", "debug", "--metrics-out", metricsFile],
        {
          cwd: path.resolve(__dirname, ".."),
          env: { ...process.env, DEMO_API_TOKEN: TOKEN, DEMO_ITEMS: "24", FORCE_COLOR: "0" },
          encoding: "utf8",
          timeout: 90_000
        }
      )
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.status, output.slice(-2000)).toBe(0)
      expect(run.stdout).toContain("Summary")
      expect(run.stdout).toContain("items fetched")
      // headers were logged (debug) — masked
      expect(output).toContain("Bearer [REDACTED]")
      const metrics = fs.readFileSync(metricsFile, "utf8")
      expect(metrics).toMatch(/^# TYPE governor_requests_total counter$/m)
      expect(metrics).toMatch(/^governor_cache_hits_total\{api="demo"\} [1-9]/m)
      // no part of the token: neither whole nor any 8-character slice of it
      for (const text of [output, metrics]) {
        for (let i = 0; i + 8 <= TOKEN.length; i++) expect(text).not.toContain(TOKEN.slice(i, i + 8))
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  // Real time: how close it gets depends on the machine (a loaded one ends lower), so the goal of
  // issue 13 (within 5% of 25) is held in virtual time (test/adaptive/matrix.test.ts) on the workload
  // this run fetches (its items, from examples/demo-settings.ts); here the demo must end below the
  // documented 50 (it learned).
  it("learns a rate below the documented one with its settings unchanged", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "examples/demo.ts"], {
      cwd: path.resolve(__dirname, ".."),
      env: { ...process.env, FORCE_COLOR: "0" },
      encoding: "utf8",
      timeout: 90_000
    })
    expect(run.status, run.stderr.slice(-2000)).toBe(0)
    const figure = (label: string) => {
      const row = run.stdout.split("\n").find((l) => l.includes(label))
      return Number(row?.split("│")[2]?.trim())
    }
    const hidden = figure("hidden limit")
    expect(hidden).toBe(demoSettings.hiddenRate)
    expect(figure("items fetched")).toBe(demoSettings.items)
    expect(figure("learned rate"), run.stdout).toBeGreaterThan(0)
    expect(figure("learned rate"), run.stdout).toBeLessThan(2 * hidden)
    expect(figure("accepted, last"), run.stdout).toBeGreaterThan(0)
  }, 120_000)
})
