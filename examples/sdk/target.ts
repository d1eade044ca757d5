/**
 * Where an example sends its requests: the bundled simulated API, started in-process on 127.0.0.1
 * (the default), or the real service when `BASE_URL` is set, whose token is then read from the
 * environment as `Redacted` (never printed). `EXAMPLE_FAST=1` shrinks the workloads (CI, `npm test`).
 */
import { Config, type ConfigError, Effect, Layer, LogLevel, Option, Redacted, type Scope } from "effect"
import { RedactingLogger, type Redaction } from "../../src/index.js"
import { SimulatedApi } from "../../src/testing/index.js"

/**
 * `EXAMPLE_FAST=1` (or true/yes/on): the smallest workload that still shows the point. A value that
 * is not a boolean fails with a `ConfigError` naming the variable.
 */
export const fastMode: Effect.Effect<boolean, ConfigError.ConfigError> = Config.boolean("EXAMPLE_FAST").pipe(
  Config.withDefault(false)
)

export interface Target {
  readonly baseUrl: string
  /** The in-process simulated API, or `null` when `BASE_URL` points at the real service. */
  readonly simulated: SimulatedApi.SimulatedApiShape | null
  /** The credential to send: from `tokenEnv` for the real service, a fixed dummy for the simulation. */
  readonly token: Redacted.Redacted<string>
}

/**
 * `BASE_URL` set: the real service, with the token from `tokenEnv` (a missing variable fails with a
 * `ConfigError` naming it). Otherwise: the simulated API with `simulated` options, for the lifetime of
 * the scope. A real token is never sent to the simulation.
 */
export const resolveTarget = (options: {
  readonly simulated: SimulatedApi.Options
  readonly tokenEnv: string
}): Effect.Effect<
  Target,
  ConfigError.ConfigError | SimulatedApi.InvalidSimulatedApiOptions | SimulatedApi.SimulatedApiStartError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const baseUrl = yield* Config.option(Config.nonEmptyString("BASE_URL"))
    if (Option.isSome(baseUrl)) {
      const token = yield* Config.redacted(options.tokenEnv)
      return { baseUrl: baseUrl.value, simulated: null, token }
    }
    const api = yield* SimulatedApi.make(options.simulated)
    return { baseUrl: api.url, simulated: api, token: Redacted.make("simulated-token") }
  })

/** Milliseconds since `start`, for timelines printed by the examples. */
export const since = (start: number): string => `${String(Date.now() - start).padStart(5)} ms`

/**
 * The examples' logger: the redacting logger (tokens, cookies and secret query parameters are masked
 * before a line is formatted) on stderr, at `LOG_LEVEL` (default `Warning`; `LOG_LEVEL=Info` shows a
 * line per request, `Debug` adds the redacted headers).
 */
export const exampleLogger: Layer.Layer<Redaction.Redaction, ConfigError.ConfigError> = Layer.unwrapEffect(
  Config.logLevel("LOG_LEVEL").pipe(
    Config.withDefault(LogLevel.Warning),
    Effect.map((minLevel) => RedactingLogger.layer({ format: "logfmt", stderr: true, minLevel }))
  )
)
