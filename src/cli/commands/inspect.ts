/**
 * `effect-governor inspect NAME | --file config.json`: a config, decoded with every default filled in,
 * printed back as JSON (the form a config file takes).
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { encode } from "../../config/ApiConfig.js"
import * as ConfigRegistry from "../../config/ConfigRegistry.js"
import type { InvalidConfig } from "../../config/errors.js"
import { loadFile } from "../../config/load.js"
import { failure, usage } from "../errors.js"

/**
 * A decode error as the user reads it: the source, then one line per issue with its path and what
 * was expected. Values are never echoed (the config module's messages already avoid them).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatConfigError = (error: InvalidConfig): string =>
  [
    `invalid config (${error.source}):`,
    ...error.issues.map((issue) =>
      `  at ${issue.path === "" ? "(document)" : issue.path}${
        issue.variable !== undefined ? ` [${issue.variable}]` : ""
      }: ${issue.message}`
    )
  ].join("\n")

const name = Args.text({ name: "name" }).pipe(
  Args.withDescription("Name of a registered config (see `effect-governor presets`)."),
  Args.optional
)

const file = Options.file("file").pipe(
  Options.withDescription(
    "Read the config from this JSON file instead (a single API config; `\"extends\": \"<preset>\"` starts from a preset)."
  ),
  Options.optional
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("inspect", { name, file }, ({ file, name }) =>
  Effect.gen(function*() {
    if (Option.isSome(name) && Option.isSome(file)) {
      return yield* usage("inspect takes either a NAME or --file, not both")
    }
    const config = Option.isSome(file)
      ? yield* loadFile(file.value).pipe(Effect.mapError((e) => usage(formatConfigError(e))))
      : Option.isSome(name)
      ? yield* Effect.flatMap(ConfigRegistry.ConfigRegistry, (registry) => registry.get(name.value)).pipe(
        Effect.provide(ConfigRegistry.layer),
        Effect.mapError((e) => usage(`unknown config "${e.name}"; known: ${e.known.join(", ")}`))
      )
      : yield* usage("inspect needs a config NAME or --file PATH (see `effect-governor presets` for names)")
    const encoded = yield* encode(config).pipe(
      Effect.mapError((e) => failure(`could not encode the config: ${formatConfigError(e)}`))
    )
    yield* Console.log(JSON.stringify(encoded, null, 2))
  })).pipe(
    Command.withDescription(
      "Print a config as JSON with every default filled in, from the registry (NAME) or a file (--file). A config that does not decode prints each bad field's path and what was expected, and exits with code 2."
    )
  )
