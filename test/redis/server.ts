/**
 * Test harness: private servers on free loopback ports, started from PATH, never the machine's own
 * Redis on 6379: one `redis-server`, a Redis Cluster of 3 masters, or a master + replica + Sentinel
 * (`startRedisCluster`, `startSentinel`); the same with `valkey-server` when it is installed. Tests
 * skip when `redis-server` (or `redis-cli`, for a cluster) is missing, unless `REQUIRE_REDIS=1` (CI),
 * where they fail instead.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"

/** The server family: `redis-server`/`redis-cli`, or `valkey-server`/`valkey-cli`. */
export type Flavor = "redis" | "valkey"

const runs = (binary: string): boolean => spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0

/** Whether a `redis-server` binary is on PATH. */
export const redisServerAvailable: boolean = runs("redis-server")

/** Whether `valkey-server` and `valkey-cli` are on PATH (Debian 12 has none: those tests skip). */
export const valkeyAvailable: boolean = runs("valkey-server") && runs("valkey-cli")

/** `redis-server --version` (or valkey's), for the test names: which servers were tested. */
export const serverVersion = (flavor: Flavor): string =>
  /v=(\S+)/.exec(spawnSync(`${flavor}-server`, ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1] ?? "unknown"

/** `describe.skipIf(skipRedis)`: true when Redis tests must be skipped (missing binary, not required). */
export const skipRedis: boolean = (() => {
  if (redisServerAvailable) return false
  if (process.env["REQUIRE_REDIS"] === "1") {
    throw new Error("REQUIRE_REDIS=1 but `redis-server` is not on PATH")
  }
  return true
})()

/** A free TCP port on 127.0.0.1, found by binding port 0. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port"))))
    })
  })

/** Sends one inline command over a raw socket and resolves with the first reply line. */
const rawCommand = (port: number, command: string, timeoutMs = 500): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    let data = ""
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error("timeout"))
    }, timeoutMs)
    socket.on("connect", () => socket.write(`${command}\r\n`))
    socket.on("data", (chunk) => {
      data += chunk.toString("utf8")
      if (data.includes("\r\n")) {
        clearTimeout(timer)
        socket.end()
        resolve(data.split("\r\n")[0] ?? "")
      }
    })
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

const waitUntil = async (label: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`redis-server: timed out waiting for ${label}`)
}

/** A running private redis-server. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Whether the process is running now. */
  readonly running: () => boolean
  /** SIGKILL the server (a crash: no shutdown, no save) and wait until the port refuses connections. */
  readonly kill: () => Promise<void>
  /** Start it again on the same port (after `kill`), waiting until PING answers. */
  readonly restart: () => Promise<void>
  /** Freeze the process (SIGSTOP): connections stay open, nothing answers, not even a close. */
  readonly pause: () => void
  /** Let a paused process run again (SIGCONT). */
  readonly resume: () => void
  /** Stop it for good. */
  readonly stop: () => Promise<void>
}

/** How to start a server: its family, extra arguments (`port` is the one it was given), or a config file to write. */
export interface ServerOptions {
  readonly flavor?: Flavor | undefined
  readonly args?: ((port: number) => ReadonlyArray<string>) | undefined
  /** Run as a Sentinel from this config text (written to a temporary file; Sentinel rewrites it). */
  readonly sentinelConfig?: ((port: number) => string) | undefined
}

/** Start a private redis-server: loopback only, no persistence, on a free port; resolves once PING answers. */
export const startRedisServer = async (options: ServerOptions = {}): Promise<RedisServer> => {
  const port = await freePort()
  let child: ChildProcess | undefined
  const configDir = options.sentinelConfig === undefined ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "governor-sentinel-"))
  const argv = (): Array<string> => {
    if (options.sentinelConfig !== undefined) {
      const file = path.join(configDir!, "sentinel.conf")
      fs.writeFileSync(file, options.sentinelConfig(port))
      return [file, "--sentinel"]
    }
    return [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes",
      ...(options.args?.(port) ?? [])
    ]
  }
  const launch = async (): Promise<void> => {
    const proc = spawn(`${options.flavor ?? "redis"}-server`, argv(), { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    proc.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    child = proc
    let exited = false
    proc.once("exit", () => (exited = true))
    await waitUntil(`PING on port ${port}`, async () => {
      if (exited) throw new Error(`redis-server exited: ${stderr}`)
      return (await rawCommand(port, "PING")) === "+PONG"
    })
  }
  const killWith = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    proc.kill(signal)
    await exited
    await waitUntil("port to close", async () => {
      try {
        await rawCommand(port, "PING", 200)
        return false
      } catch {
        return true
      }
    })
  }
  const signal = (name: NodeJS.Signals) => () => {
    child?.kill(name)
  }
  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    kill: () => killWith("SIGKILL"),
    restart: launch,
    pause: signal("SIGSTOP"),
    resume: signal("SIGCONT"),
    // A paused process only acts on SIGTERM once it runs again.
    stop: async () => {
      child?.kill("SIGCONT")
      await killWith("SIGTERM")
      if (configDir !== undefined) fs.rmSync(configDir, { recursive: true, force: true })
    }
  }
}

const exec = promisify(execFile)

/** Run `redis-cli` (or valkey's) against a local port; resolves with its output. */
export const cli = async (flavor: Flavor, port: number, ...args: ReadonlyArray<string>): Promise<string> =>
  (await exec(`${flavor}-cli`, ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 })).stdout

/** `describe.skipIf(skipCluster)`: a cluster also needs `redis-cli` (to create it). */
export const skipCluster: boolean = (() => {
  if (skipRedis) return true
  if (runs("redis-cli")) return false
  if (process.env["REQUIRE_REDIS"] === "1") throw new Error("REQUIRE_REDIS=1 but `redis-cli` is not on PATH")
  return true
})()

/** The server families each topology's suite runs on: redis always, valkey when it is installed. */
export const flavors: ReadonlyArray<Flavor> = ["redis", "valkey"]

/** Whether a flavor's suite skips: its topology's own skip (`skipRedis`, `skipCluster`), or valkey missing. */
export const skipFlavor = (flavor: Flavor, skipTopology: boolean): boolean =>
  skipTopology || (flavor === "valkey" && !valkeyAvailable)

/** A suite's title naming the server and the version tested. */
export const flavorTitle = (what: string, flavor: Flavor, skipTopology: boolean): string =>
  `${what} (${flavor}-server ${skipFlavor(flavor, skipTopology) ? "not installed" : serverVersion(flavor)})`


/** A private Redis Cluster: one master per node, no replicas. */
export interface RedisCluster {
  readonly nodes: ReadonlyArray<RedisServer>
  /** `host:port` of every node (seed nodes for a cluster client). */
  readonly seeds: ReadonlyArray<string>
  readonly stop: () => Promise<void>
}

/**
 * Start `masters` cluster-enabled servers and join them (`redis-cli --cluster create`, slots split
 * evenly); resolves once every node reports `cluster_state:ok`.
 */
export const startRedisCluster = async (masters = 3, flavor: Flavor = "redis"): Promise<RedisCluster> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "governor-cluster-"))
  const args = (port: number) => [
    "--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000",
    "--dir", dir
  ]
  const nodes = await Promise.all(Array.from({ length: masters }, () => startRedisServer({ flavor, args })))
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    const seeds = nodes.map((n) => `127.0.0.1:${n.port}`)
    await cli(flavor, nodes[0]!.port, "--cluster", "create", ...seeds, "--cluster-replicas", "0", "--cluster-yes")
    for (const node of nodes) {
      await waitUntil(`cluster_state:ok on ${node.port}`, async () => (await cli(flavor, node.port, "cluster", "info")).includes("cluster_state:ok"))
    }
    return { nodes, seeds, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** A private master + replica watched by one Sentinel (quorum 1), as master name `name`. */
export interface SentinelSetup {
  readonly master: RedisServer
  readonly replica: RedisServer
  readonly sentinel: RedisServer
  readonly name: string
  /** The master's `host:port` according to the Sentinel now. */
  readonly currentMaster: () => Promise<string>
  readonly stop: () => Promise<void>
}

/**
 * Start a master, a replica of it and a Sentinel that fails over `downAfterMs` after the master
 * stops answering; resolves once the replica is in sync and the Sentinel knows it.
 */
export const startSentinel = async (downAfterMs = 400, flavor: Flavor = "redis"): Promise<SentinelSetup> => {
  const name = "governor"
  // Replication writes an RDB file in the server's directory: keep it out of the checkout.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "governor-replication-"))
  // No 5 s wait for more replicas before a diskless full sync (the default delay).
  const master = await startRedisServer({ flavor, args: () => ["--dir", dir, "--repl-diskless-sync-delay", "0"] })
  const replica = await startRedisServer({ flavor, args: () => ["--dir", dir, "--replicaof", "127.0.0.1", String(master.port)] })
  const sentinel = await startRedisServer({
    flavor,
    sentinelConfig: (port) =>
      [
        `port ${port}`, "bind 127.0.0.1", "daemonize no",
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} 5000`,
        // Known from the start (else found in the master's INFO, polled every few seconds).
        `sentinel known-replica ${name} 127.0.0.1 ${replica.port}`
      ].join("\n") + "\n"
  })
  const stop = async () => {
    await Promise.all([sentinel.stop(), replica.stop(), master.stop()])
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const currentMaster = async () =>
    (await cli(flavor, sentinel.port, "sentinel", "get-master-addr-by-name", name)).trim().split(/\s+/).join(":")
  try {
    await waitUntil("replica in sync", async () => (await cli(flavor, replica.port, "info", "replication")).includes("master_link_status:up"))
    await waitUntil("sentinel to know the replica", async () =>
      (await cli(flavor, sentinel.port, "sentinel", "replicas", name)).includes(String(replica.port)))
    return { master, replica, sentinel, name, currentMaster, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
