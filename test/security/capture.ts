/**
 * Capturing every observable output of a program, as a user would wire them up: log lines through
 * the redacting logger (a sink replacing the default logger's console), spans through a tracer that
 * keeps what an OpenTelemetry exporter would ship (names, attributes, events, the failure of a span),
 * and the contents of a cache directory and of a Redis server.
 */
import { Cause, Layer, Logger, LogLevel, type Option, Tracer } from "effect"
import type { Exit } from "effect"
import type { Redis as IORedis } from "ioredis"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import type { MaskStyle } from "../../src/logging/redact.js"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"
import type { Output } from "./findSecret.js"

export const logFormats: ReadonlyArray<RedactingLogger.LogFormat> = ["logfmt", "json", "pretty"]

/**
 * The redacting logger in every format at once: `RedactingLogger.layer` with a sink (replacing the
 * default logger and the tracer logger, as the README shows), plus the same logger in the other
 * formats added next to it.
 */
export const captureLogs = (mask: MaskStyle) => {
  const lines = new Map<RedactingLogger.LogFormat, Array<string>>(logFormats.map((f) => [f, []]))
  const sink = (format: RedactingLogger.LogFormat) => (line: string) => lines.get(format)!.push(line)
  const [first, ...others] = logFormats
  const extra = others.map((format) => {
    const logger = RedactingLogger.make({ format, mask, minLevel: LogLevel.Debug })
    return Logger.add(Logger.make((o) => {
      const line = logger.log(o)
      if (line !== undefined) sink(format)(line)
    }))
  })
  const layer = Layer.mergeAll(
    RedactingLogger.layer({ format: first!, mask, minLevel: "Debug", sink: sink(first!) }),
    ...extra
  )
  const outputs = (): Array<Output> => logFormats.map((f) => ({ where: `log lines (${f})`, text: lines.get(f)!.join("\n") }))
  return { layer, lines, outputs }
}

interface CapturedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
  exit: Exit.Exit<unknown, unknown> | undefined
}

/** A tracer keeping every span; `outputs` renders each as an exporter would see it. */
export const captureSpans = () => {
  const spans: Array<CapturedSpan> = []
  let next = 0
  const tracer = Tracer.make({
    span: (name, parent: Option.Option<Tracer.AnySpan>, context, links, startTime, kind) => {
      const captured: CapturedSpan = { name, attributes: new Map(), events: [], exit: undefined }
      spans.push(captured)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${next++}`,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: captured.attributes,
        links,
        sampled: true,
        kind,
        end: (_endTime, exit) => {
          captured.exit = exit
        },
        attribute: (key, value) => {
          captured.attributes.set(key, value)
        },
        event: (eventName, _time, attributes) => {
          captured.events.push({ name: eventName, attributes })
        },
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  const outputs = (): Array<Output> =>
    spans.map((s, i) => ({
      where: `span #${i} "${s.name}"`,
      text: JSON.stringify({
        name: s.name,
        attributes: Object.fromEntries(s.attributes),
        events: s.events,
        // What an OpenTelemetry exporter records for a failed span: the errors' messages and stacks.
        exception: s.exit === undefined || s.exit._tag === "Success" ? undefined : Cause.pretty(s.exit.cause)
      })
    }))
  return { tracer, spans, outputs }
}

/** Every file of a directory (one level: the file store is flat), bytes read as Latin-1. */
export const dumpDirectory = async (dir: string): Promise<Array<Output>> => {
  const names = await readdir(dir)
  return Promise.all(names.map(async (name) => ({
    where: `cache file ${name}`,
    text: `${name}\n${(await readFile(join(dir, name))).toString("latin1")}`
  })))
}

/** Every key of the Redis server with its value, whatever its type, then deletes them all. */
export const dumpRedis = async (client: IORedis): Promise<Array<Output>> => {
  const keys: Array<string> = []
  let cursor = "0"
  do {
    const [nextCursor, batch] = await client.scan(cursor, "COUNT", 1000)
    cursor = nextCursor
    keys.push(...batch)
  } while (cursor !== "0")
  const outputs = await Promise.all(keys.map(async (key) => {
    const type = await client.type(key)
    const value = type === "string"
      ? ((await client.getBuffer(key)) ?? Buffer.alloc(0)).toString("latin1")
      : type === "hash"
      ? JSON.stringify(await client.hgetall(key))
      : type === "list"
      ? JSON.stringify(await client.lrange(key, 0, -1))
      : type === "set"
      ? JSON.stringify(await client.smembers(key))
      : type === "zset"
      ? JSON.stringify(await client.zrange(key, 0, -1, "WITHSCORES"))
      : `<${type}>`
    return { where: `redis key ${key}`, text: `${key}\n${value}` }
  }))
  if (keys.length > 0) await client.del(...keys)
  return outputs
}
