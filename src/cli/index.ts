/**
 * The `effect-governor` command line, for embedding or testing (the binary is `main.ts`).
 *
 * @since 0.1.0
 */

/** The root command and `run(argv)` returning the exit code. @since 0.1.0 */
export * as Cli from "./Cli.js"

/** Exit codes and the `CliFailure` error. @since 0.1.0 */
export { CliFailure, ExitCode } from "./errors.js"

/** The pure planning logic of `probe`. @since 0.1.0 */
export * as ProbePlan from "./probePlan.js"
