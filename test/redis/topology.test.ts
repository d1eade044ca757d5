import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import fc from "fast-check"
import { classify, toRedisError } from "../../src/redis/errors.js"
import * as Redis from "../../src/redis/Redis.js"
import { parseNode } from "../../src/redis/topology.js"

const replyError = (message: string) => Object.assign(new Error(message), { name: "ReplyError" })

describe("Redis failures classified (pure)", () => {
  it("a redirect or cross-slot reply is a misconfiguration, never an outage", () => {
    for (
      const message of [
        "MOVED 3999 127.0.0.1:6381",
        "ASK 3999 127.0.0.1:6381",
        "CROSSSLOT Keys in request don't hash to the same slot",
        "Too many Cluster redirections. Last error: ReplyError: MOVED 12 10.0.0.7:6379"
      ]
    ) {
      expect(classify(replyError(message)), message).toBe("misconfigured")
      const error = toRedisError("acquire", replyError(message))
      expect(error.reason).toBe("misconfigured")
      expect(error.message).toContain("layerCluster")
    }
    expect(classify(new Error("All keys in the pipeline should belong to the same slots allocation group"))).toBe("misconfigured")
  })

  it("failover, resharding and connection states are outages; other replies are command errors", () => {
    for (const message of ["READONLY You can't write against a read only replica.", "CLUSTERDOWN The cluster is down", "TRYAGAIN Multiple keys", "MASTERDOWN Link with MASTER is down", "LOADING Redis is loading"]) {
      expect(classify(replyError(message)), message).toBe("unavailable")
    }
    expect(classify(new Error("Cluster isn't ready and enableOfflineQueue options is false"))).toBe("unavailable")
    expect(classify(new Error("Command timed out"))).toBe("timeout")
    expect(classify(replyError("ERR wrong number of arguments"))).toBe("command")
    // A RedisError keeps its reason (and is returned as it is).
    const given = new Redis.RedisError({ operation: "x", reason: "misconfigured", detail: "d" })
    expect(toRedisError("y", given)).toBe(given)
  })

  it("one kind per failure for every store: only outages may meet an outage policy", () => {
    const misconfigured = new Redis.RedisError({ operation: "x", reason: "misconfigured", detail: "MOVED 1 h:1" })
    expect(Redis.kindOf(misconfigured)).toBe("misconfigured")
    expect(Redis.isOutage(misconfigured)).toBe(false)
    expect(Redis.kindOf(replyError("CROSSSLOT Keys in request don't hash to the same slot"))).toBe("misconfigured")
    for (const reason of ["unavailable", "timeout", "command"] as const) {
      const error = new Redis.RedisError({ operation: "x", reason, detail: "d" })
      expect(Redis.kindOf(error), reason).toBe("outage")
      expect(Redis.isOutage(error), reason).toBe(true)
    }
    expect(Redis.isOutage(new Error("Connection is closed."))).toBe(true)
  })

  it("no other reply is taken for a redirect", () =>
    fc.assert(
      fc.property(fc.string().filter((s) => !/MOVED|ASK|CROSSSLOT|same slot/.test(s)), (text) => {
        expect(classify(replyError(text))).not.toBe("misconfigured")
      })
    ))
})

describe("cluster and sentinel nodes (pure)", () => {
  it("host:port, IPv6 in brackets; anything else is refused", () => {
    expect(parseNode("10.0.0.1:7000")).toEqual({ host: "10.0.0.1", port: 7000 })
    expect(parseNode(" redis-0.redis:6379 ")).toEqual({ host: "redis-0.redis", port: 6379 })
    expect(parseNode("[::1]:7001")).toEqual({ host: "::1", port: 7001 })
    for (const bad of ["", "host", "host:", ":7000", "host:0", "host:65536", "host:70000", "a:b:7000", "host:7000x", "::1:7000"]) {
      expect(parseNode(bad), bad).toBeUndefined()
    }
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        expect(parseNode(`${host}:${port}`)).toEqual({ host, port })
      })
    )
  })
})

describe("the topology from Config", () => {
  const read = (env: Record<string, string>) =>
    Effect.either(Effect.withConfigProvider(Redis.topologyConfig(), ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it.effect("standalone by default, cluster from its nodes, sentinel from sentinels + master name", () =>
    Effect.gen(function*() {
      const standalone = yield* read({})
      if (standalone._tag === "Left") return expect.fail(String(standalone.left))
      expect(standalone.right._tag).toBe("standalone")
      const url = standalone.right._tag === "standalone" ? standalone.right.options.url : undefined
      expect(Redacted.isRedacted(url) ? Redacted.value(url) : url).toBe("redis://127.0.0.1:6379")

      const cluster = yield* read({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, 10.0.0.2:7000", REDIS_PASSWORD: "pw", REDIS_PREFIX: "app" })
      if (cluster._tag === "Left") return expect.fail(String(cluster.left))
      expect(cluster.right).toMatchObject({
        _tag: "cluster",
        options: { nodes: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 7000 }], prefix: "app" }
      })
      expect(Redacted.value(cluster.right.options.password!)).toBe("pw")
      expect(String(cluster.right.options.password)).not.toContain("pw")

      const sentinel = yield* read({ REDIS_SENTINELS: "s1:26379,s2:26379", REDIS_SENTINEL_NAME: "mymaster", REDIS_SENTINEL_PASSWORD: "spw" })
      if (sentinel._tag === "Left") return expect.fail(String(sentinel.left))
      expect(sentinel.right).toMatchObject({ _tag: "sentinel", options: { name: "mymaster", sentinels: [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }] } })
    }))

  it.effect("bad or contradictory settings are ConfigErrors naming the variable, without secrets", () =>
    Effect.gen(function*() {
      const badNode = yield* read({ REDIS_CLUSTER_NODES: "10.0.0.1:7000,nope" })
      expect(badNode._tag).toBe("Left")
      if (badNode._tag === "Left") expect(String(badNode.left)).toMatch(/REDIS_CLUSTER_NODES.*"nope" is not host:port/)
      const noName = yield* read({ REDIS_SENTINELS: "s1:26379" })
      if (noName._tag === "Left") expect(String(noName.left)).toContain("REDIS_SENTINEL_NAME")
      else expect.fail("sentinels without a master name were accepted")
      const both = yield* read({ REDIS_URL: "redis://:hunter2@h:6379", REDIS_CLUSTER_NODES: "h:7000" })
      if (both._tag === "Left") {
        expect(String(both.left)).toContain("set only one of REDIS_CLUSTER_NODES, REDIS_URL")
        expect(String(both.left)).not.toContain("hunter2")
      } else expect.fail("a URL and cluster nodes were both accepted")
    }))
})
