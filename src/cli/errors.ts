/**
 * How the CLI fails: a message for the user (never a stack trace) and an exit code.
 *
 * Exit codes:
 * - `0`: success (also when `simulate` / `metrics` are stopped with Ctrl-C);
 * - `1`: a runtime failure (a port in use, the network, the probed API misbehaving);
 * - `2`: bad input (unknown command or flag, invalid option values, a config that does not decode,
 *   an unknown config name);
 * - `3`: changes pending (`limits plan` / `limits diff` found a difference between the file and the store).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  pending: 3
} as const

/**
 * A failure the CLI reports as `message` on stderr before exiting with `exitCode`.
 *
 * @since 0.1.0
 * @category errors
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Literal(1, 2, 3)
}) {}

/**
 * Bad input: exit code 2.
 *
 * @since 0.1.0
 * @category constructors
 */
export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: 2 })

/**
 * A runtime failure: exit code 1.
 *
 * @since 0.1.0
 * @category constructors
 */
export const failure = (message: string): CliFailure => new CliFailure({ message, exitCode: 1 })

/**
 * @effect/cli rejects `--rate abc` with "'abc' is not a float", naming no flag. Given that message and
 * the arguments, the flag the value was given to (`--rate abc` or `--rate=abc`) and what it expects.
 *
 * Why a pattern over @effect/cli's text (0.77): the message is built by `attempt` in its
 * `internal/primitive.ts` from the value alone, and `parseInternal` (`internal/options.ts`, case
 * "Single") wraps it in an `InvalidValue` without the option's name, so no error carries the flag.
 * The alternative, text options parsed by our own `Options.mapEffect` (whose error could name the
 * flag), would make every numeric flag's `--help` read "A user-defined piece of text." and lose its
 * shell-completion type. test/cli/cli.test.ts fails if @effect/cli changes that message.
 *
 * @since 0.1.0
 * @category errors
 */
export const flagOfInvalidValue = (message: string, args: ReadonlyArray<string>): string | undefined => {
  const m = /^'(.*)' is not an? (float|integer)$/s.exec(message.trim())
  if (m === null) return undefined
  const [, value, kind] = m
  const expected = kind === "float" ? "a number" : "a whole number"
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf("=")
    const flag = arg.startsWith("--") && eq > 0 && arg.slice(eq + 1) === value
      ? arg.slice(0, eq)
      : arg.startsWith("-") && args[i + 1] === value
      ? arg
      : undefined
    if (flag !== undefined) return `${flag}: expected ${expected}, got '${value}'`
  }
  return undefined
}

/**
 * Changes pending (`limits plan` / `diff`): exit code 3.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pending = (message: string): CliFailure => new CliFailure({ message, exitCode: 3 })
