/**
 * The multi-process part of bench group "redis": 8 worker processes (this bench bundle started again
 * as `test/redis/worker.ts`'s worker, see `bench/main.ts`) on one key of the private redis-server.
 *
 * - `redis.calls_per_admission_k8`: script calls the server ran (`INFO commandstats`) per admission,
 *   with a limit every process waits for (goal <= 2: a waiting fiber books its slot and sleeps once).
 * - `redis.batch_vs_rtt_k8`: decisions/s on a limit nobody reaches, `localBatch: 100` against one
 *   round trip per decision (goal >= 5).
 * - `redis.batch_overshoot`: with `localBatch: 50` and a limit the processes do reach, the most
 *   admissions beyond the limit over any window, against the documented bound 8 × 49.
 */
import { Redis as IORedis } from "ioredis"
import type { RedisServer } from "../test/redis/server.js"
import { maxOvershoot, provableOvershoot, scriptCalls } from "../test/redis/measure.js"
import { startWorker, type Worker, type WorkerOptions, type WorkerResult } from "../test/redis/worker.js"
import type { BenchRow } from "./harness.js"

const PROCESSES = 8

/** This bundle again, as a worker (`bench/main.ts` runs the worker when it is given options). */
const self: ReadonlyArray<string> = [...process.execArgv, process.argv[1]!]

/** Where workers connect, and the servers whose script calls are counted (every master of a cluster). */
export interface Target {
  readonly connect: { readonly url: string } | { readonly seeds: ReadonlyArray<string> }
  readonly nodes: ReadonlyArray<string>
}

export const standalone = (server: RedisServer): Target => ({ connect: { url: server.url }, nodes: [server.url] })

export interface Run {
  readonly results: ReadonlyArray<WorkerResult>
  /** Script calls the servers ran while the workers ran. */
  readonly calls: number
  /** Epoch ms when the workers were told to go. */
  readonly start: number
}

/** Reset the servers' counters, start the workers with `go`, and count the script calls until they are done. */
export const counted = async (
  target: Target,
  go: () => Promise<ReadonlyArray<WorkerResult>>
): Promise<Run> => {
  const clients = target.nodes.map((url) => new IORedis(url))
  try {
    await Promise.all(clients.map((c) => c.config("RESETSTAT")))
    const start = performance.timeOrigin + performance.now()
    const results = await go()
    const calls = (await Promise.all(clients.map(scriptCalls))).reduce((a, b) => a + b, 0)
    return { results, calls, start }
  } finally {
    await Promise.all(clients.map((c) => c.quit()))
  }
}

/** Start `processes` workers on `target`, resolving once all are connected. */
export const startWorkers = async (target: Target, processes: number, options: Omit<WorkerOptions, "url" | "seeds">): Promise<ReadonlyArray<Worker>> => {
  const workers = Array.from({ length: processes }, () => startWorker(self, { ...target.connect, ...options }))
  await Promise.all(workers.map((w) => w.ready))
  return workers
}

/** Start `processes` workers, wait until all are connected, run them together once. */
const runWorkers = async (target: Target, processes: number, options: Omit<WorkerOptions, "url" | "seeds">): Promise<Run> => {
  const workers = await startWorkers(target, processes, options)
  return counted(target, () => {
    for (const w of workers) w.go()
    return Promise.all(workers.map((w) => w.result))
  })
}

export const multiProcess = async (
  server: RedisServer,
  quick: boolean
): Promise<{ readonly rows: ReadonlyArray<BenchRow>; readonly figures: Record<string, number> }> => {
  const figures: Record<string, number> = {}
  const rows: Array<BenchRow> = []
  // `--quick`: every run half as long.
  const ms = (full: number) => (quick ? full / 2 : full)

  // Contended: 400 per second shared by 8 processes of 4 fibers.
  const contended = { key: "k", capacity: 40, refillAmount: 40, periodMs: 100, durationMs: ms(2000), concurrency: 4 }
  const waited = await runWorkers(standalone(server), PROCESSES, { ...contended, prefix: "bench-k8" })
  const times = waited.results.flatMap((r) => r.admitted).sort((a, b) => a - b)
  figures["redis.calls_per_admission_k8"] = waited.calls / times.length
  const rate = contended.refillAmount / contended.periodMs
  rows.push(
    { name: "8 processes, one key, 400/s: script calls per admission", value: figures["redis.calls_per_admission_k8"]!, unit: "calls", note: "goal <= 2" },
    { name: "  admissions beyond the limit (any window, 20 ms slack)", value: maxOvershoot(times, contended.capacity, rate, 20), unit: "req", note: "goal 0" },
    {
      name: "  provably beyond the limit (each between asked and seen)",
      value: provableOvershoot(waited.results.flatMap((r) => r.asked), waited.results.flatMap((r) => r.admitted), contended.capacity, rate),
      unit: "req",
      note: "goal < 1 (process clocks differ by a fraction of a ms)"
    }
  )

  // Nobody waits: one round trip per decision against batches of 100.
  const open = { key: "hot", capacity: 1e9, refillAmount: 1e9, periodMs: 3_600_000, durationMs: ms(1500), concurrency: 16, record: "count" as const }
  const perSecond = (r: Run) => r.results.reduce((n, w) => n + w.count, 0) / (open.durationMs / 1000)
  const rtt = perSecond(await runWorkers(standalone(server), PROCESSES, { ...open, prefix: "bench-rtt" }))
  const batched = perSecond(await runWorkers(standalone(server), PROCESSES, { ...open, prefix: "bench-batch", localBatch: 100 }))
  figures["redis.batch_vs_rtt_k8"] = batched / rtt
  rows.push(
    { name: "8 processes, one hot key: one round trip per decision", value: rtt, unit: "dec/s" },
    { name: "8 processes, one hot key: localBatch 100", value: batched, unit: "dec/s", note: `x ${(batched / rtt).toFixed(1)} (goal >= 5)` }
  )

  // Batches on a limit the processes reach: 2,000 per second.
  const n = 50
  const reached = { key: "batch", capacity: 2000, refillAmount: 2000, periodMs: 1000, durationMs: ms(2000), concurrency: 8, localBatch: n }
  const over = await runWorkers(standalone(server), PROCESSES, { ...reached, prefix: "bench-overshoot" })
  const all = over.results.flatMap((r) => r.admitted).sort((a, b) => a - b)
  figures["redis.batch_overshoot"] = maxOvershoot(all, reached.capacity, reached.refillAmount / reached.periodMs)
  rows.push(
    {
      name: "8 processes, localBatch 50, 2,000/s: most beyond the limit in any window",
      value: figures["redis.batch_overshoot"]!,
      unit: "req",
      note: `bound ${PROCESSES * (n - 1)}; total ${all.length} of ${Math.floor(reached.capacity + (reached.refillAmount / reached.periodMs) * (all[all.length - 1]! - over.start))} allowed`
    }
  )
  return { rows, figures }
}
