/**
 * A `Logger` that redacts BEFORE formatting: the message, every annotation (deeply), span
 * labels and the cause (failures and defects, with their messages, stacks, fields and causes)
 * go through one `redactRecord` call, so a value learned in one place (an `Authorization`
 * header, a `Redacted`) is masked in all. The formatted line then gets a last pass for the
 * known secrets (configured and learned), in case a formatter rendered one in a new form.
 * Secrets registered in {@link KnownSecrets} (a client's token, while the client is open) are known
 * secrets of every line.
 *
 * `layer` replaces Effect's default logger AND its tracer logger (which copies log messages and
 * annotations into span events, where an OpenTelemetry exporter would ship them unredacted).
 *
 * @since 0.1.0
 */
import { Cause, HashMap, Inspectable, Layer, List, Logger, LogLevel, LogSpan } from "effect"
import * as KnownSecrets from "./KnownSecrets.js"
import * as redact from "./redact.js"
import * as Redaction from "./Redaction.js"

/**
 * Output formats: Effect's logfmt and JSON formats, or a human-readable multi-line `pretty`.
 *
 * @since 0.1.0
 */
export type LogFormat = "logfmt" | "json" | "pretty"

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 */
export interface RedactingLoggerOptions extends Redaction.RedactionOptions {
  /** Default `"logfmt"`. */
  readonly format?: LogFormat | undefined
  /** Lines below this level are dropped. `layer` also sets `Logger.minimumLogLevel` to it. */
  readonly minLevel?: LogLevel.LogLevel | LogLevel.Literal | undefined
  /**
   * Where formatted lines go. Default: the `Console` service (`console.error` when `stderr`
   * is true, else `console.log`), so `Effect.withConsole` can capture them.
   */
  readonly sink?: ((line: string, level: LogLevel.LogLevel) => void) | undefined
  readonly stderr?: boolean | undefined
  /** ANSI colours for `pretty` (default false). */
  readonly colors?: boolean | undefined
}

const toLevel = (l: LogLevel.LogLevel | LogLevel.Literal): LogLevel.LogLevel =>
  typeof l === "string" ? LogLevel.fromLiteral(l) : l

// ---------------------------------------------------------------------------------------------
// Redaction of Logger.Options
// ---------------------------------------------------------------------------------------------

const causeValues = (cause: Cause.Cause<unknown>, out: Array<unknown>): void => {
  switch (cause._tag) {
    case "Fail":
      out.push(cause.error)
      return
    case "Die":
      out.push(cause.defect)
      return
    case "Sequential":
    case "Parallel":
      causeValues(cause.left, out)
      causeValues(cause.right, out)
      return
    default:
      return
  }
}

const rebuildCause = (cause: Cause.Cause<unknown>, values: Array<unknown>, at: { i: number }): Cause.Cause<unknown> => {
  switch (cause._tag) {
    case "Fail":
      return Cause.fail(values[at.i++])
    case "Die":
      return Cause.die(values[at.i++])
    case "Sequential": {
      const left = rebuildCause(cause.left, values, at)
      return Cause.sequential(left, rebuildCause(cause.right, values, at))
    }
    case "Parallel": {
      const left = rebuildCause(cause.left, values, at)
      return Cause.parallel(left, rebuildCause(cause.right, values, at))
    }
    default:
      return cause
  }
}

/**
 * The redacted record plus the secrets learned from it.
 *
 * @since 0.1.0
 */
export interface RedactedLog {
  readonly options: Logger.Logger.Options<unknown>
  readonly learned: ReadonlyArray<string>
}

/**
 * Redacts every part of a log record (message, annotations, span labels, cause) in one call.
 *
 * @since 0.1.0
 */
export const redactLogOptions = (
  redactor: redact.Redactor,
  options: Logger.Logger.Options<unknown>
): RedactedLog => {
  const annotations: Record<string, unknown> = {}
  for (const [k, v] of options.annotations) annotations[k] = v
  const spanLabels = List.toArray(options.spans).map((s) => s.label)
  const causeIn: Array<unknown> = []
  causeValues(options.cause, causeIn)
  const { learned, values } = redactor.redactRecord([options.message, annotations, spanLabels, causeIn])
  const [message, annotationsOut, labelsOut, causeOut] = values as [
    unknown,
    Record<string, unknown>,
    Array<string>,
    Array<unknown>
  ]
  const spans = List.fromIterable(List.toArray(options.spans).map((s, i) => LogSpan.make(labelsOut[i]!, s.startTime)))
  return {
    learned,
    options: {
      ...options,
      message,
      annotations: HashMap.fromIterable(Object.entries(annotationsOut)),
      spans,
      cause: causeIn.length === 0 ? options.cause : rebuildCause(options.cause, causeOut, { i: 0 })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

const pad = (n: number, w = 2) => n.toString().padStart(w, "0")

const ansi = (on: boolean) => (text: string, code: string) => on ? `\x1b[${code}m${text}\x1b[0m` : text

const levelColor: Record<LogLevel.LogLevel["_tag"], string> = {
  All: "0",
  None: "0",
  Trace: "90",
  Debug: "34",
  Info: "32",
  Warning: "33",
  Error: "31",
  Fatal: "41"
}

const prettyFormatter = (colors: boolean): Logger.Logger<unknown, string> =>
  Logger.make(({ annotations, cause, date, fiberId, logLevel, message, spans }) => {
    const c = ansi(colors)
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${
      pad(date.getMilliseconds(), 3)
    }`
    const messages = Array.isArray(message) ? message : [message]
    let first = `[${time}] ${c(logLevel.label, levelColor[logLevel._tag])} (${fiberThreadName(fiberId)})`
    for (const span of spans) first += " " + LogSpan.render(date.getTime())(span)
    first += ":"
    let i = 0
    if (typeof messages[0] === "string") {
      first += " " + c(messages[0], "1")
      i = 1
    }
    const lines = [first]
    for (; i < messages.length; i++) lines.push("  " + Inspectable.toStringUnknown(messages[i], 2))
    if (!Cause.isEmpty(cause)) {
      lines.push(...Cause.pretty(cause, { renderErrorCause: true }).split("\n").map((l) => "  " + l))
    }
    for (const [k, v] of annotations) {
      lines.push(`  ${c(k + ":", "1")} ${typeof v === "string" ? v : Inspectable.toStringUnknown(v, 2)}`)
    }
    return lines.join("\n")
  })

const fiberThreadName = (fiberId: Logger.Logger.Options<unknown>["fiberId"]): string => {
  const ids: Array<number> = []
  const walk = (f: typeof fiberId): void => {
    switch (f._tag) {
      case "Runtime":
        ids.push(f.id)
        return
      case "Composite":
        walk(f.left)
        walk(f.right)
        return
      default:
        return
    }
  }
  walk(fiberId)
  return ids.map((id) => `#${id}`).join(",")
}

const formatter = (format: LogFormat, colors: boolean): Logger.Logger<unknown, string> => {
  switch (format) {
    case "logfmt":
      return Logger.logfmtLogger
    case "json":
      return Logger.jsonLogger
    case "pretty":
      return prettyFormatter(colors)
  }
}

/**
 * A logger producing one redacted, formatted line per record (or `undefined` when the record is
 * below `minLevel`). Compose it with a sink, or use {@link layer}.
 *
 * @example
 * ```ts
 * import { RedactingLogger } from "effect-governor"
 * const logger = RedactingLogger.make({ format: "json", mask: "hash" })
 * ```
 *
 * @since 0.1.0
 */
export const make = (options: RedactingLoggerOptions = {}): Logger.Logger<unknown, string | undefined> => {
  const service = Redaction.make(options)
  return fromRedactor(service.redactor, options)
}

/**
 * Like {@link make}, with a given redactor.
 *
 * @since 0.1.0
 */
export const fromRedactor = (
  redactor: redact.Redactor,
  options: Pick<RedactingLoggerOptions, "format" | "minLevel" | "colors"> = {}
): Logger.Logger<unknown, string | undefined> => {
  const base = formatter(options.format ?? "logfmt", options.colors === true)
  const min = options.minLevel === undefined ? undefined : toLevel(options.minLevel)
  const current = KnownSecrets.follow(redactor)
  return Logger.make((o) => {
    if (min !== undefined && LogLevel.lessThan(o.logLevel, min)) return undefined
    const r = current()
    const { learned, options: safe } = redactLogOptions(r, o)
    // Last pass for known secrets only: patterns are not re-run over the formatted line.
    return r.maskKnown(base.log(safe), learned)
  })
}

/**
 * Redacts records before they reach another logger (e.g. `Logger.tracerLogger`, or a user's
 * OpenTelemetry log exporter).
 *
 * @since 0.1.0
 */
export const redactInput = <Output>(
  redactor: redact.Redactor,
  logger: Logger.Logger<unknown, Output>
): Logger.Logger<unknown, Output> => {
  const current = KnownSecrets.follow(redactor)
  return Logger.mapInputOptions(logger, (o) => redactLogOptions(current(), o).options)
}

const sinkOf = (options: RedactingLoggerOptions): Logger.Logger<unknown, void> => {
  const lines = make(options)
  const sink = options.sink
  if (sink !== undefined) {
    return Logger.make((o) => {
      const line = lines.log(o)
      if (line !== undefined) sink(line, o.logLevel)
    })
  }
  const filtered = Logger.make((o) => lines.log(o))
  // withConsoleLog/Error read the Console service of the logging fiber
  const toConsole = options.stderr === true ? Logger.withConsoleError(filtered) : Logger.withConsoleLog(filtered)
  return Logger.make((o) => {
    if (options.minLevel !== undefined && LogLevel.lessThan(o.logLevel, toLevel(options.minLevel))) return
    toConsole.log(o)
  })
}

/**
 * Replaces Effect's default logger (and the pretty logger `runMain` adds) with the redacting one, wraps the tracer logger (span
 * events) with the same redaction, installs the {@link Redaction.Redaction} service with the same
 * rules (for the client's request lines and span attributes), and, when `minLevel` is given,
 * sets `Logger.minimumLogLevel`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RedactingLogger } from "effect-governor"
 * declare const program: Effect.Effect<void>
 * const main = program.pipe(Effect.provide(RedactingLogger.layer({ format: "logfmt", minLevel: "Debug" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedactingLoggerOptions = {}): Layer.Layer<Redaction.Redaction> => {
  const service = Redaction.make(options)
  const withRedactor: RedactingLoggerOptions = { ...options, redactor: service.redactor }
  const layers = Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, sinkOf(withRedactor)),
    // `NodeRuntime.runMain` adds the (unredacted) pretty logger next to the default one: drop it, or
    // every line would also be printed in clear.
    Logger.remove(Logger.prettyLoggerDefault),
    Logger.replace(Logger.tracerLogger, redactInput(service.redactor, Logger.tracerLogger)),
    Layer.succeed(Redaction.Redaction, service)
  )
  return options.minLevel === undefined
    ? layers
    : Layer.merge(layers, Logger.minimumLogLevel(toLevel(options.minLevel)))
}
