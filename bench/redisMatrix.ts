/**
 * The process matrix of bench group "redis" (`npm run bench -- redis:matrix`): K = 1, 2, 4, 8 worker
 * processes (`--quick`: 1 and 8) of 8 fibers each, on one key and on 1,000 keys, on a standalone
 * server and on a 3-master cluster (skipped when `redis-cli` is missing), every key limited to 40 at
 * once then 400/s, no batching. Per cell: admissions per second, script calls the servers ran per
 * admission (summed over every master), and the most admissions beyond a key's limit in any window
 * (goal 0): from the times the workers saw them (20 ms slack for the time a reply takes to be read, as
 * the 8-process cell), and provably (each admission placed anywhere between asked and seen), which a
 * loaded machine's scheduling delays cannot inflate.
 *
 * On one key the limit binds: the processes wait for it, so admissions/s is the limit's share the
 * processes get (shown as % of what it allowed) and calls per admission show that waiting does not
 * poll. On 1,000 keys it never binds (400,000/s in all): admissions/s is the cost of a decision,
 * spread over the cluster's masters.
 */
import { maxOvershoot, provableOvershoot } from "../test/redis/measure.js"
import { skipCluster, startRedisCluster } from "../test/redis/server.js"
import type { RedisServer } from "../test/redis/server.js"
import type { BenchRow, RunOptions } from "./harness.js"
import type { Worker } from "../test/redis/worker.js"
import { counted, type Run, standalone, startWorkers, type Target } from "./redisProcesses.js"

const LIMIT = { capacity: 40, refillAmount: 40, periodMs: 100 } as const
const FIBERS = 8
const SLACK_MS = 20

interface Cell {
  readonly perSecond: number
  readonly callsPerAdmission: number
  readonly overshoot: { readonly seen: number; readonly provable: number }
  /** Admissions against what the limit allowed over the run (one key only: 1,000 keys never bind). */
  readonly share: number
}

/**
 * The most admissions beyond the limit of any one key over any window: from the times they were seen
 * (20 ms slack), and provable from when each was asked for and seen (no slack needed; see
 * `provableOvershoot`: a descheduled process sees its admissions late, and bunched).
 */
const worstOvershoot = (run: Run, keys: number): { readonly seen: number; readonly provable: number } => {
  const byKey = Array.from({ length: keys }, () => ({ asked: new Array<number>(), done: new Array<number>() }))
  for (const r of run.results) {
    r.admitted.forEach((t, j) => {
      const key = byKey[keys === 1 ? 0 : r.keyOf[j]!]!
      key.done.push(t)
      key.asked.push(r.asked[j]!)
    })
  }
  const rate = LIMIT.refillAmount / LIMIT.periodMs
  return {
    seen: Math.max(0, ...byKey.map((k) => maxOvershoot([...k.done].sort((a, b) => a - b), LIMIT.capacity, rate, SLACK_MS))),
    provable: Math.max(0, ...byKey.map((k) => provableOvershoot(k.asked, k.done, LIMIT.capacity, rate)))
  }
}

/** One cell: the first `processes` workers on `keys` keys named after `key`, for `durationMs`. */
const measureCell = async (target: Target, workers: ReadonlyArray<Worker>, key: string, keys: number, durationMs: number): Promise<Cell> => {
  const run = await counted(target, () => Promise.all(workers.map((w) => w.round({ key, keys, durationMs }))))
  const admitted = run.results.reduce((n, r) => n + r.count, 0)
  const last = run.results.reduce((m, r) => r.admitted.reduce((a, t) => Math.max(a, t), m), run.start)
  const allowed = LIMIT.capacity + (LIMIT.refillAmount / LIMIT.periodMs) * (last - run.start)
  return {
    // Over the whole run: a worker told to go late (a loaded machine) runs its `durationMs` late too.
    perSecond: admitted / ((last - run.start) / 1000),
    callsPerAdmission: run.calls / admitted,
    overshoot: worstOvershoot(run, keys),
    share: admitted / allowed
  }
}

export const processMatrix = async (
  server: RedisServer,
  options: RunOptions
): Promise<{ readonly rows: ReadonlyArray<BenchRow>; readonly figures: Record<string, number> }> => {
  const counts = options.quick ? [1, 8] : [1, 2, 4, 8]
  const durationMs = options.quick ? 800 : 1500
  const rows: Array<BenchRow> = []
  const figures: Record<string, number> = {}
  let maxCalls = 0
  let worst = 0
  let worstProvable = 0
  const record = (name: string, keys: number, k: number, cell: Cell) => {
    const id = `redis.${name}_${keys === 1 ? "1key" : `${keys}keys`}_k${k}`
    figures[`${id}_per_s`] = cell.perSecond
    figures[`${id}_calls_per_admission`] = cell.callsPerAdmission
    figures[`${id}_overshoot`] = cell.overshoot.seen
    figures[`${id}_provable_overshoot`] = cell.overshoot.provable
    if (keys === 1) maxCalls = Math.max(maxCalls, cell.callsPerAdmission)
    worst = Math.max(worst, cell.overshoot.seen)
    worstProvable = Math.max(worstProvable, cell.overshoot.provable)
    rows.push({
      name: `${name}, ${keys === 1 ? "1 key" : `${keys.toLocaleString("en-US")} keys`}, ${k} process${k === 1 ? "" : "es"}`,
      value: cell.perSecond,
      unit: "adm/s",
      note: `${cell.callsPerAdmission.toFixed(2)} calls/admission, ${cell.overshoot.seen.toFixed(0)} beyond the limit ` +
        `(${cell.overshoot.provable.toFixed(0)} provably)` +
        (keys === 1 ? `, ${(100 * cell.share).toFixed(0)}% of the limit` : "")
    })
  }
  // One set of workers per topology (a process takes ~0.5 s to start), every cell on keys of its own.
  const measureTopology = async (name: "standalone" | "cluster", target: Target) => {
    const workers = await startWorkers(target, Math.max(...counts), { prefix: `bench-${name}`, key: "k", ...LIMIT, durationMs, concurrency: FIBERS })
    try {
      for (const keys of [1, 1000]) {
        for (const k of counts) record(name, keys, k, await measureCell(target, workers.slice(0, k), `${keys}-${k}`, keys, durationMs))
      }
    } finally {
      await Promise.all(workers.map((w) => w.exit()))
    }
  }
  await measureTopology("standalone", standalone(server))
  if (skipCluster) {
    rows.push({ name: "cluster cells skipped: no redis-cli on PATH", value: 0, unit: "" })
  } else {
    const cluster = await startRedisCluster(3)
    try {
      await measureTopology("cluster", { connect: { seeds: cluster.seeds }, nodes: cluster.nodes.map((n) => n.url) })
    } finally {
      await cluster.stop()
    }
  }
  figures["redis.matrix_max_calls_per_admission"] = maxCalls
  figures["redis.matrix_worst_overshoot"] = worst
  figures["redis.matrix_worst_provable_overshoot"] = worstProvable
  rows.push(
    { name: "matrix: most script calls per admission on one key", value: maxCalls, unit: "calls", note: "goal <= 2" },
    { name: "matrix: most admissions beyond a key's limit, any cell", value: worst, unit: "req", note: `goal 0 (times seen, ${SLACK_MS} ms slack)` },
    { name: "matrix: most provably beyond a key's limit, any cell", value: worstProvable, unit: "req", note: "goal < 1 (each between asked and seen; process clocks differ by a fraction of a ms)" }
  )
  return { rows, figures }
}
