import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, type Console, Effect } from "effect"
import { Cli } from "../../src/cli/index.js"

/**
 * Start the CLI in-process with argv `args`; the output arrays fill as it prints. With `env`, the
 * CLI reads its configuration (REDIS_URL…) from it instead of the process environment.
 */
export const startCli = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) =>
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
      env === undefined ? (self) => self : Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(NodeContext.layer)
    )
    return { run, stdout, stderr }
  })

/** Run the CLI in-process with argv `args` (and `env`, see {@link startCli}), capturing what it prints. */
export const runCli = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const { run, stderr, stdout } = yield* startCli(args, env)
    const code = yield* run
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") }
  })
