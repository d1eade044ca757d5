/**
 * What the observing steps (`withRequestLog`, `withMetrics`, `withCache`, `withRateLimiter`) write
 * to, for one API: its name (the metrics' `api` label), its redaction and log level, its metric
 * recorder and the client's statistics. One per client.
 *
 * @since 0.1.0
 */
import { Effect, FiberRef, LogLevel } from "effect"
import * as Recorder from "../metrics/recorder.js"
import * as Redaction from "../logging/Redaction.js"
import * as RedactErrors from "./redactErrors.js"
import * as Stats from "./stats.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Observer {
  readonly api: string
  readonly redaction: Redaction.RedactionService
  /** Errors and responses leave the client with redacted copies of the request they carry. */
  readonly outgoing: RedactErrors.ErrorRedactor
  readonly recorder: Recorder.ApiRecorder
  /** The client's statistics; every update is one synchronous step, so a plain cell is safe. */
  readonly stats: { current: Stats.ClientStats }
  /**
   * The line `line()` at `level`, filtered by this API's level on top of the program's (`programMin`),
   * with this API's redaction in context; `undefined` (nothing built) when filtered out.
   */
  readonly writeLine: (
    programMin: LogLevel.LogLevel,
    level: LogLevel.LogLevel,
    line: () => Effect.Effect<void>
  ) => Effect.Effect<void> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ObserverOptions {
  readonly api: string
  /** Default: the default redaction rules. */
  readonly redaction?: Redaction.RedactionService | undefined
  /** This API's own minimum level. Default: `All` (the program's level alone decides). */
  readonly level?: LogLevel.LogLevel | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: ObserverOptions): Observer => {
  const redaction = options.redaction ?? Redaction.make({})
  const apiLevel = options.level ?? LogLevel.All
  return {
    api: options.api,
    redaction,
    outgoing: RedactErrors.make(redaction.redactor),
    recorder: Recorder.recorderFor(options.api),
    stats: { current: Stats.emptyStats },
    writeLine: (programMin, level, line) => {
      const effective = LogLevel.greaterThan(apiLevel, programMin) ? apiLevel : programMin
      return LogLevel.greaterThan(effective, level)
        ? undefined
        : Effect.locally(line(), FiberRef.currentMinimumLogLevel, effective).pipe(
          Effect.provideService(Redaction.Redaction, redaction)
        )
    }
  }
}
