/**
 * `effect-governor presets`: the registry's configs and their documented limits.
 *
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type ApiConfig, encode } from "../../config/ApiConfig.js"
import * as ConfigRegistry from "../../config/ConfigRegistry.js"
import { failure } from "../errors.js"
import * as Format from "../format.js"

const adaptiveRange = (config: ApiConfig): string =>
  config.adaptive.enabled
    ? `${Format.rate(config.adaptive.initialRate)} (${config.adaptive.minRate}..${config.adaptive.maxRate})`
    : "off"

/**
 * The readable listing: a table, then each config's documented limit, wrapped.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderTable = (configs: ReadonlyArray<ApiConfig>, width = 100): string => {
  const rows = configs.map((c) => [
    c.name,
    c.limits.length === 0 ? "(none)" : c.limits.map(Format.describeLimit).join("; "),
    adaptiveRange(c),
    c.baseUrl
  ])
  const documented = configs
    .filter((c) => c.documentedLimit !== "")
    .map((c) => `${c.name}:\n${Format.wrap(c.documentedLimit, width, "  ")}`)
  return [
    Format.table(["NAME", "LIMITS", "ADAPTIVE START (MIN..MAX)", "BASE URL"], rows),
    "",
    "Documented limits",
    "",
    documented.join("\n\n")
  ].join("\n")
}

/**
 * The machine-readable listing: each config's name, base URL, documented limit, and its limits in
 * the config-file form plus their sustained rate.
 *
 * @since 0.1.0
 * @category formatting
 */
export const toJson = (configs: ReadonlyArray<ApiConfig>) =>
  Effect.forEach(configs, (config) =>
    Effect.map(encode(config), (encoded) => ({
      name: config.name,
      baseUrl: config.baseUrl,
      documentedLimit: config.documentedLimit,
      limits: (encoded.limits ?? []).map((limit, i) => ({
        ...limit,
        ratePerSecond: config.limits[i]!.ratePerSecond
      }))
    })))

const json = Options.boolean("json").pipe(
  Options.withDescription("Print JSON (name, baseUrl, documentedLimit, limits with ratePerSecond) instead of a table.")
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("presets", { json }, ({ json }) =>
  Effect.gen(function*() {
    const registry = yield* ConfigRegistry.ConfigRegistry
    const configs = yield* registry.all
    if (json) {
      const out = yield* toJson(configs).pipe(
        Effect.mapError((e) => failure(`could not encode the presets: ${e.message}`))
      )
      yield* Console.log(JSON.stringify(out, null, 2))
    } else {
      yield* Console.log(renderTable(configs))
    }
  }).pipe(Effect.provide(ConfigRegistry.layer))).pipe(
    Command.withDescription(
      "List the built-in API configs (notion, github, stripe, openai, …): their limits, adaptive rate range, base URL and what the vendor documents."
    )
  )
