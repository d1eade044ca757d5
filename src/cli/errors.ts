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
 * Changes pending (`limits plan` / `diff`): exit code 3.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pending = (message: string): CliFailure => new CliFailure({ message, exitCode: 3 })
