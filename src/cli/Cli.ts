/**
 * The `effect-governor` command line: `presets`, `inspect`, `simulate`, `probe`, `metrics`, `limits`.
 *
 * {@link run} parses an argv array, runs the command and returns the exit code (see `errors.ts`):
 * failures are printed as short messages on stderr, never as stack traces.
 *
 * @since 0.1.0
 */
import { Command, HelpDoc, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import { Cause, Console, Effect, Option } from "effect"
import * as Inspect from "./commands/inspect.js"
import * as Limits from "./commands/limits.js"
import * as Metrics from "./commands/metrics.js"
import * as Presets from "./commands/presets.js"
import * as Probe from "./commands/probe.js"
import * as Simulate from "./commands/simulate.js"
import { ExitCode, flagOfInvalidValue } from "./errors.js"

/**
 * The root command with its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const root = Command.make("effect-governor").pipe(
  Command.withDescription(
    "Tools for effect-governor: list API presets, inspect configs, run the simulated rate-limited API, probe a real API's limit, expose the metrics of a run, and manage limits stored in Redis. Exit codes: 0 success (also after Ctrl-C), 1 runtime failure, 2 bad input (flags, config), 3 changes pending (limits plan/diff)."
  ),
  Command.withSubcommands([Presets.command, Inspect.command, Simulate.command, Probe.command, Metrics.command, Limits.command])
)

const cli = Command.run(root, { name: "effect-governor", version: "0.1.0" })

/**
 * Run the CLI on `argv` as Node gives it (`[node, script, ...args]`) and return the exit code.
 * Interruption (Ctrl-C) propagates, so long-running commands shut down through their scopes.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  cli(argv).pipe(
    Effect.as<number>(ExitCode.ok),
    Effect.catchAll((error) => {
      // @effect/cli has already printed what was wrong with the arguments; a bad number without its flag.
      if (ValidationError.isValidationError(error)) {
        const flag = error._tag === "InvalidValue"
          ? flagOfInvalidValue(stripAnsi(HelpDoc.toAnsiText(error.error)), argv.slice(2))
          : undefined
        return Effect.as(flag === undefined ? Effect.void : Console.error(`effect-governor: ${flag}`), ExitCode.usage)
      }
      return Effect.as(Console.error(`effect-governor: ${error.message}`), error.exitCode)
    }),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.as(
        Console.error(`effect-governor: internal error: ${describeDefect(cause)}`),
        ExitCode.failure
      )
    ),
    // Only interruption is left in the error channel; keep it as interruption.
    Effect.catchAll(() => Effect.interrupt)
  )

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "")

const describeDefect = (cause: Cause.Cause<unknown>): string => {
  const defect = Option.getOrUndefined(Cause.dieOption(cause))
  const text = defect instanceof Error ? defect.message : String(defect ?? Cause.pretty(cause))
  // The first line only: the rest is a stack trace.
  return text.split("\n")[0] ?? "unknown"
}
