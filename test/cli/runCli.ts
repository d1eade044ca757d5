import { NodeContext } from "@effect/platform-node"
import { type Console, Effect } from "effect"
import { Cli } from "../../src/cli/index.js"

/** Start the CLI in-process with argv `args`; the output arrays fill as it prints. */
export const startCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const base = yield* Effect.console
    const capture: Console.Console = {
      ...base,
      log: (...parts) => Effect.sync(() => void stdout.push(parts.map(String).join(" "))),
      info: (...parts) => Effect.sync(() => void stdout.push(parts.map(String).join(" "))),
      error: (...parts) => Effect.sync(() => void stderr.push(parts.map(String).join(" "))),
      warn: (...parts) => Effect.sync(() => void stderr.push(parts.map(String).join(" ")))
    }
    const run = Cli.run(["node", "effect-governor", ...args]).pipe(
      Effect.withConsole(capture),
      Effect.provide(NodeContext.layer)
    )
    return { run, stdout, stderr }
  })

/** Run the CLI in-process with argv `args`, capturing what it prints. */
export const runCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { run, stderr, stdout } = yield* startCli(args)
    const code = yield* run
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") }
  })
