/**
 * Test harness: a private `redis-server` on a free loopback port, started from PATH, never the
 * machine's own Redis on 6379. Tests skip when `redis-server` is missing, unless `REQUIRE_REDIS=1`
 * (CI), where they fail instead.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as net from "node:net"

/** Whether a `redis-server` binary is on PATH. */
export const redisServerAvailable: boolean = (() => {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" })
  return probe.status === 0
})()

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

/** Start a private redis-server: loopback only, no persistence, on a free port; resolves once PING answers. */
export const startRedisServer = async (): Promise<RedisServer> => {
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = async (): Promise<void> => {
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
      { stdio: ["ignore", "ignore", "pipe"] }
    )
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
    }
  }
}
