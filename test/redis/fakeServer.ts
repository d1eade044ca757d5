/**
 * A loopback server speaking just enough RESP for ioredis to connect: `INFO` answers with the
 * `redis_version` given (an old server we have no binary for), `PING` with PONG, anything else OK.
 * Records the commands it received.
 */
import * as net from "node:net"

export interface FakeRedis {
  readonly port: number
  readonly url: string
  readonly commands: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`

/** Parse complete RESP arrays of bulk strings from `buffer`; returns the commands and the rest. */
const parse = (buffer: string): { readonly commands: Array<Array<string>>; readonly rest: string } => {
  const commands: Array<Array<string>> = []
  let at = 0
  for (;;) {
    const header = /^\*(\d+)\r\n/.exec(buffer.slice(at))
    if (header === null) break
    let p = at + header[0].length
    const args: Array<string> = []
    for (let i = 0; i < Number(header[1]); i++) {
      const len = /^\$(\d+)\r\n/.exec(buffer.slice(p))
      if (len === null || buffer.length < p + len[0].length + Number(len[1]) + 2) return { commands, rest: buffer.slice(at) }
      p += len[0].length
      args.push(buffer.slice(p, p + Number(len[1])))
      p += Number(len[1]) + 2
    }
    commands.push(args)
    at = p
  }
  return { commands, rest: buffer.slice(at) }
}

export const startFakeRedis = (version: string, port = 0): Promise<FakeRedis> =>
  new Promise((resolve, reject) => {
    const commands: Array<string> = []
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      let pending = ""
      socket.on("data", (chunk) => {
        const parsed = parse(pending + chunk.toString("latin1"))
        pending = parsed.rest
        for (const args of parsed.commands) {
          const name = (args[0] ?? "").toUpperCase()
          commands.push(args.join(" "))
          if (name === "INFO") socket.write(bulk(`# Server\r\nredis_version:${version}\r\nredis_mode:standalone\r\n`))
          else if (name === "PING") socket.write("+PONG\r\n")
          else socket.write("+OK\r\n")
        }
      })
      socket.on("error", () => {})
    })
    server.on("error", reject)
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      resolve({
        port: address.port,
        url: `redis://127.0.0.1:${address.port}`,
        commands,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          })
      })
    })
  })
