import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeLimitsStore } from "../../src/redis/limitsStore.js"
import { freePort, skipCluster, skipRedis } from "../redis/server.js"
import { clusterLayer, connection, redisLayer, uniquePrefix, useRedisCluster, useRedisServer } from "../redis/util.js"
import { tenantOn } from "../tenants/redisFixtures.js"
import { runCli } from "./runCli.js"

const tmpFile = (name: string, text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "governor-limits-cli-")), name)
  fs.writeFileSync(file, text)
  return file
}

const V1 = `defaults: [{ name: rps, limit: 50, per: second }]
resources:
  openai: [{ name: rpm, limit: 3000, per: minute }]
entities:
  org-1: { limits: { openai: [{ name: rpm, limit: 600, per: minute }] } }
  user-42: { parent: org-1, limits: { "*": [{ name: rpm, limit: 60, per: minute }] } }
`
const V2 = V1.replace("limit: 60, per: minute", "limit: 30, per: minute").replace("\n  org-1", "\n  user-7: { parent: org-1 }\n  org-1")

describe.skipIf(skipRedis)("effect-governor limits (real redis-server)", () => {
  const server = useRedisServer()

  it.live("plan / apply / plan again / diff / get / audit", () =>
    Effect.gen(function*() {
      const at = ["--redis", server.url, "--prefix", uniquePrefix("cli")]
      const v1 = tmpFile("limits.yaml", V1)
      const planned = yield* runCli(["limits", "plan", ...at, v1])
      expect(planned.code).toBe(3)
      expect(planned.stdout.split("\n")).toEqual(["+ system default", "+ resource openai", "+ entity org-1", "+ entity user-42"])
      expect(planned.stderr).toContain("4 changes pending (4 create)")

      const applied = yield* runCli(["limits", "apply", ...at, "--source", "ci", v1])
      expect(applied.code).toBe(0)
      expect(applied.stdout).toContain("4 changes applied, 4 audit events (4 create)")
      const again = yield* runCli(["limits", "apply", ...at, v1])
      expect([again.code, again.stdout]).toEqual([0, "no changes: the store matches the file"])
      expect((yield* runCli(["limits", "plan", ...at, v1])).code).toBe(0)

      const v2 = tmpFile("limits.yaml", V2)
      const diff = yield* runCli(["limits", "diff", ...at, v2])
      expect(diff.code).toBe(3)
      expect(diff.stdout).toContain("~ entity user-42\n    limits.*[rpm].capacity: 60 -> 30")
      expect(diff.stdout).toContain("+ entity user-7\n    parent: (none) -> \"org-1\"")
      expect(diff.stderr).toContain("2 changes pending (1 create, 1 update)")
      const pruned = yield* runCli(["limits", "plan", ...at, "--prune", tmpFile("only.json", JSON.stringify({ resources: {} }))])
      expect(pruned.stdout.split("\n")).toEqual(["- system default", "- resource openai", "- entity user-42", "- entity org-1"])
      expect((yield* runCli(["limits", "apply", ...at, "--source", "ci", v2])).code).toBe(0)

      const get = yield* runCli(["limits", "get", ...at, "user-42"])
      expect(get.code).toBe(0)
      expect(get.stdout).toContain("parent: org-1")
      expect(get.stdout).toMatch(/openai\s+user-42\s+entityDefault\s+rpm 30 per 1m/)
      expect(get.stdout).toMatch(/openai\s+org-1\s+entity\s+rpm 600 per 1m/)
      const other = yield* runCli(["limits", "get", ...at, "nobody", "--resource", "search"])
      expect(other.stdout).toContain("entity nobody (nothing stored)")
      expect(other.stdout).toMatch(/search\s+nobody\s+system\s+rps 50\/s/)

      const audit = yield* runCli(["limits", "audit", ...at, "--entity", "user-42", "--json"])
      expect(audit.code).toBe(0)
      const events = audit.stdout.split("\n").map((l) => JSON.parse(l))
      expect(events.map((e) => [e.action, e.source])).toEqual([["create", "ci"], ["update", "ci"]])
      expect(events[1].before.limits["*"][0].capacity).toBe(60)
      expect(events[1].after.limits["*"][0].capacity).toBe(30)
      const text = yield* runCli(["limits", "audit", ...at, "--limit", "1"])
      expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\dT.*Z {2}create entity user-7 {2}by ci/)
    }))

  it.live("usage: a table and a chart per resource and limit; capacity per level", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("usage")
      const at = ["--redis", server.url, "--prefix", prefix]
      expect((yield* runCli(["limits", "apply", ...at, tmpFile("limits.yaml", V1)])).code).toBe(0)
      // A worker admits calls (usage counters on by default: per minute, the last 60).
      const { tenants } = yield* tenantOn(redisLayer(server.url, prefix))
      for (let i = 0; i < 5; i++) yield* tenants.acquire({ entity: "user-42", resource: "openai" })
      yield* tenants.acquire({ entity: "user-42", resource: "search", cost: 2 })
      const shown = yield* runCli(["limits", "usage", ...at, "org-1", "--window", "10 minutes"])
      expect(shown.code).toBe(0)
      expect(shown.stdout).toMatch(/^usage of org-1: .* UTC, per 1m$/m)
      expect(shown.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d +openai +rpm +5$/m)
      // search resolves to the system default (rps 50/s) at org-1 too.
      expect(shown.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d +search +rps +2$/m)
      expect(shown.stdout).toMatch(/^openai rpm {2}\| {9}█\| {2}max 5 per 1m, total 5$/m)
      const json = JSON.parse((yield* runCli(["limits", "usage", ...at, "user-42", "--json"])).stdout)
      expect(json.rows.map((r: { amount: number }) => r.amount).sort()).toEqual([2, 5])
      expect(json.intervalMs).toBe(60_000)
      const capacity = yield* runCli(["limits", "capacity", ...at, "user-42", "--resource", "openai"])
      expect(capacity.code).toBe(0)
      expect(capacity.stdout).toMatch(/user-42 +entityDefault +rpm +55(\.\d+)? +60 +in \d/)
      // org-1 refills 10 a second: it may be full again by now.
      expect(capacity.stdout).toMatch(/org-1 +entity +rpm +(59\d(\.\d+)?|600) +600 +(in \d|full)/)
      const empty = yield* runCli(["limits", "usage", ...at, "nobody"])
      expect(empty.stdout).toContain("nothing consumed")
      expect((yield* runCli(["limits", "usage", ...at, "user-42", "--window", "soon"])).code).toBe(2)
    })))

  it.live("bad input exits 2 naming the path; an unreachable Redis exits 1 without its password", () =>
    Effect.gen(function*() {
      const at = ["--redis", server.url, "--prefix", uniquePrefix("bad")]
      const bad = yield* runCli(["limits", "plan", ...at, tmpFile("bad.json", JSON.stringify({ entities: { u: { parent: "org" } } }))])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("at entities.u.parent: parent \"org\" is not declared under entities")
      expect((yield* runCli(["limits", "plan", ...at, "/nonexistent.yaml"])).code).toBe(2)
      expect((yield* runCli(["limits", "get", ...at, " spaced "])).code).toBe(2)
      const port = yield* Effect.promise(() => freePort())
      const down = yield* runCli(["limits", "apply", "--redis", `redis://:hunter2-secret@127.0.0.1:${port}`, tmpFile("ok.json", "{}")])
      expect(down.code).toBe(1)
      expect(down.stderr).toMatch(/Redis connect failed/)
      expect(down.stdout + down.stderr).not.toContain("hunter2")
    }))
})

describe.skipIf(skipCluster)("effect-governor limits: input first, then the library's Redis configuration", () => {
  const cluster = useRedisCluster()

  it.live("bad input exits 2 naming it before any connection; a cluster or Sentinel is read from the Redis variables", () =>
    Effect.gen(function*() {
      const dead = `redis://127.0.0.1:${yield* Effect.promise(() => freePort())}`
      // Bad input with Redis out of reach: the input is named (exit 2), not the connection (exit 1).
      const badFile = tmpFile("bad.json", JSON.stringify({ entities: { u: { parent: "org" } } }))
      const bad = yield* runCli(["limits", "plan", "--redis", dead, badFile])
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("at entities.u.parent")])
      expect(bad.stderr).toContain(badFile)
      expect((yield* runCli(["limits", "get", "--redis", dead, " spaced "])).code).toBe(2)
      expect((yield* runCli(["limits", "audit", "--redis", dead, "--limit", "0"])).code).toBe(2)
      // Redis settings are input too: named by variable, no connection tried.
      const noName = yield* runCli(["limits", "plan", tmpFile("ok.json", "{}")], { REDIS_SENTINELS: "127.0.0.1:1" })
      expect([noName.code, noName.stderr]).toEqual([2, expect.stringContaining("REDIS_SENTINEL_NAME")])
      const badNode = yield* runCli(["limits", "plan", tmpFile("ok.json", "{}")], { REDIS_CLUSTER_NODES: "nope" })
      expect([badNode.code, badNode.stderr]).toEqual([2, expect.stringContaining("REDIS_CLUSTER_NODES")])

      // REDIS_CLUSTER_NODES (as Redis.layerConfig reads it): the limits land on the cluster.
      const prefix = uniquePrefix("cli-cluster")
      const env = { REDIS_CLUSTER_NODES: cluster.seeds.join(","), REDIS_PREFIX: prefix }
      const file = tmpFile("limits.yaml", V1)
      const applied = yield* runCli(["limits", "apply", "--source", "ci", file], env)
      expect([applied.code, applied.stderr]).toEqual([0, ""])
      expect(applied.stdout).toContain("4 changes applied")
      expect((yield* runCli(["limits", "plan", file], env)).code).toBe(0)
      const stored = yield* Effect.scoped(
        Effect.flatMap(connection(clusterLayer(cluster.seeds, prefix)), (conn) =>
          Effect.flatMap(Effect.provide(makeLimitsStore(), conn), (store) => store.texts))
      )
      expect(stored.size).toBe(4)
    }), 30_000)
})

