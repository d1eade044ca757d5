/**
 * Per-API configuration: the `ApiConfig` schema, the preset registry, loading from JSON files and the
 * environment, and the generated configuration reference.
 *
 * @since 0.1.0
 */

/** The schema, its types, decode/encode and the `CurrentApiConfig` context tag. @since 0.1.0 */
export * as ApiConfig from "./ApiConfig.js"

/** The `ConfigRegistry` service and its layers. @since 0.1.0 */
export * as ConfigRegistry from "./ConfigRegistry.js"

/** Built-in presets as plain data (`presets`, `getPreset`). @since 0.1.0 */
export * as Presets from "./presets.js"

/** `loadFile`, `decodeJson`, `fromEnv`, `tokenFromEnv`, `authHeader`. @since 0.1.0 */
export * as ApiConfigLoader from "./load.js"

/** Markdown configuration reference generated from the schema. @since 0.1.0 */
export * as ConfigReference from "./reference.js"

export { CurrentApiConfig } from "./ApiConfig.js"
export type { ApiConfigEncoded } from "./ApiConfig.js"
export { ConfigError, ConfigIssue, DuplicateApiConfig, formatPath, type PathSegment, UnknownApiConfig } from "./errors.js"
