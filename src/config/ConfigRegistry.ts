/**
 * `ConfigRegistry`: the named API configs a program knows (the built-in presets plus the user's own),
 * held in a `Ref`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import { type ApiConfig, type ApiConfigEncoded, fromUnknown } from "./ApiConfig.js"
import { type InvalidConfig, DuplicateApiConfig, singleIssue, UnknownApiConfig } from "./errors.js"
import { presetNames, presets } from "./presets.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RegisterOptions {
  /**
   * Replace an existing config of the same name (including a built-in preset). Default `false`:
   * registering a taken name fails with `DuplicateApiConfig`, so a typo cannot silently shadow a preset.
   */
  readonly replace?: boolean | undefined
}

/**
 * What `register` takes: a decoded `ApiConfig`, or its JSON form (`ApiConfigEncoded`) whose `name` may
 * be left out (the registration name is used).
 *
 * @since 0.1.0
 * @category models
 */
export type RegisterInput = ApiConfig | (Omit<ApiConfigEncoded, "name"> & { readonly name?: string | undefined })

/**
 * @since 0.1.0
 * @category models
 */
export interface ConfigRegistryShape {
  /** The config registered under `name` (exact, case-sensitive match). */
  readonly get: (name: string) => Effect.Effect<ApiConfig, UnknownApiConfig>
  /** Registered names, sorted. */
  readonly list: Effect.Effect<ReadonlyArray<string>>
  /** Every registered config, sorted by name. */
  readonly all: Effect.Effect<ReadonlyArray<ApiConfig>>
  /**
   * Validate and register a config under `name`. `config` is either a decoded `ApiConfig` or its JSON form;
   * its `name` may be omitted (it is set to `name`) but must equal `name` when given. Validated again at
   * run time (a caller without types gets an `InvalidConfig`). Returns the stored config.
   */
  readonly register: (
    name: string,
    config: RegisterInput,
    options?: RegisterOptions
  ) => Effect.Effect<ApiConfig, InvalidConfig | DuplicateApiConfig>
}

/**
 * @since 0.1.0
 * @category context
 */
export class ConfigRegistry extends Context.Tag("effect-governor/ConfigRegistry")<ConfigRegistry, ConfigRegistryShape>() {}

const withName = (name: string, config: unknown): Effect.Effect<unknown, InvalidConfig> => {
  const source = `register(${JSON.stringify(name)})`
  if (typeof config !== "object" || config === null || Array.isArray(config)) return Effect.succeed(config)
  const given = (config as { readonly name?: unknown }).name
  if (given === undefined) return Effect.succeed({ ...config, name })
  if (given !== name) {
    return Effect.fail(
      singleIssue(source, ["name"], `Expected ${JSON.stringify(name)} (the registration name), got ${JSON.stringify(given)}`)
    )
  }
  return Effect.succeed(config)
}

/**
 * Build a registry holding `initial` (later entries of the same name win).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (initial: Iterable<ApiConfig>): Effect.Effect<ConfigRegistryShape> =>
  Effect.gen(function*() {
    const ref = yield* Ref.make<ReadonlyMap<string, ApiConfig>>(
      new Map(Array.from(initial, (config) => [config.name, config] as const))
    )
    const sortedNames = (map: ReadonlyMap<string, ApiConfig>) => Array.from(map.keys()).sort()
    return ConfigRegistry.of({
      get: (name) =>
        Ref.get(ref).pipe(
          Effect.flatMap((map) => {
            const config = map.get(name)
            return config === undefined
              ? Effect.fail(new UnknownApiConfig({ name, known: sortedNames(map) }))
              : Effect.succeed(config)
          })
        ),
      list: Effect.map(Ref.get(ref), sortedNames),
      all: Effect.map(Ref.get(ref), (map) => sortedNames(map).map((name) => map.get(name)!)),
      register: (name, config, options) =>
        withName(name, config).pipe(
          Effect.flatMap((input) => fromUnknown(input, `register(${JSON.stringify(name)})`)),
          Effect.flatMap((decoded) =>
            // Decode first (pure), then check-and-insert atomically so concurrent registrations of one
            // name cannot both succeed without `replace`.
            Ref.modify(ref, (map): readonly [Effect.Effect<ApiConfig, DuplicateApiConfig>, ReadonlyMap<string, ApiConfig>] =>
              map.has(name) && options?.replace !== true
                ? [Effect.fail(new DuplicateApiConfig({ name })), map]
                : [Effect.succeed(decoded), new Map(map).set(name, decoded)]
            ).pipe(Effect.flatten)
          )
        )
    })
  })

/**
 * A registry with the built-in presets (notion, vanta, fieldguide, github, stripe, stripe-test, openai).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ConfigRegistry> = Layer.effect(
  ConfigRegistry,
  make(presetNames.map((name) => presets[name]))
)

/**
 * A registry with the built-in presets plus `configs` (which replace presets of the same name).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (configs: Iterable<ApiConfig>): Layer.Layer<ConfigRegistry> =>
  Layer.effect(ConfigRegistry, make([...presetNames.map((name) => presets[name]), ...configs]))

/**
 * An empty registry (no presets).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEmpty: Layer.Layer<ConfigRegistry> = Layer.effect(ConfigRegistry, make([]))
