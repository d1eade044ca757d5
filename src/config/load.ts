/**
 * Loading configs from JSON files and from environment variables (through Effect `Config`, so any
 * `ConfigProvider` works), and reading the API token as a `Redacted` value.
 *
 * ## Environment mapping
 *
 * For an API named `notion` and the default prefix `GOVERNOR`, variables are `GOVERNOR_NOTION_<FIELD>`, where
 * `<FIELD>` is the config path in SCREAMING_SNAKE_CASE with `_` between section and field:
 *
 * | Variable | Field | Value |
 * |---|---|---|
 * | `GOVERNOR_NOTION_BASE_URL` | `baseUrl` | text |
 * | `GOVERNOR_NOTION_LIMITS` | `limits` | JSON array |
 * | `GOVERNOR_NOTION_HEADERS` | `headers` | JSON object, merged into the base's headers |
 * | `GOVERNOR_NOTION_THROTTLE` | `throttle` | JSON: `false` or `{"threshold":0.9}` |
 * | `GOVERNOR_NOTION_MIN_INTERVAL` | `minInterval` | milliseconds or `"250 millis"` |
 * | `GOVERNOR_NOTION_RETRY_MAX_RETRIES` | `retry.maxRetries` | number |
 * | `GOVERNOR_NOTION_RETRY_RETRY_ON_STATUS` | `retry.retryOnStatus` | `429,503` (or a JSON array) |
 * | `GOVERNOR_NOTION_ADAPTIVE_ENABLED` | `adaptive.enabled` | `true/false/yes/no/on/off/1/0` |
 * | `GOVERNOR_NOTION_AUTH_ENV` | `auth.env` | name of the variable holding the token |
 *
 * …and so on for every field of every section (see {@link envVariables}). Values overlay a base config:
 * the built-in preset of that name when there is one, or `options.base`. Objects merge key by key; arrays
 * and scalars replace. The token itself is read by {@link tokenFromEnv} from `auth.env`
 * (default `GOVERNOR_<NAME>_TOKEN`).
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Config, type ConfigError as EffectConfigError, Effect, Option, Redacted, Schema } from "effect"
import { ApiConfig as ApiConfigSchema, type AuthSettings, decode, encode } from "./ApiConfig.js"
import type { ApiConfig } from "./ApiConfig.js"
import { fromParseError, invalidConfig, type InvalidConfig, type PathSegment, singleIssue } from "./errors.js"
import { allFields, type EnvKind, type FieldInfo, screamingSnake } from "./internal/fields.js"
import { findJsonSyntaxError } from "./internal/jsonSyntax.js"
import { getPreset, presetNames } from "./presets.js"

// ---------------------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * Describe a `JSON.parse` failure by our own scan of the text: the line, the column and a reason in our
 * words. The engine's message is not used: it quotes the text around the error (possibly a secret) and
 * differs between Node versions.
 */
const describeJsonError = (text: string): string => {
  const found = findJsonSyntaxError(text)
  return found === undefined ? "Invalid JSON" : `Invalid JSON at line ${found.line}, column ${found.column}: ${found.reason}`
}

/**
 * Parse JSON text; a syntax error becomes an `InvalidConfig` naming `source` and, when available, the line
 * and column. The message never quotes the text.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseJson = (text: string, source: string): Effect.Effect<unknown, InvalidConfig> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => singleIssue(source, [], describeJsonError(text))
  })

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Overlay `override` on `base`: plain objects merge key by key, everything else (arrays, scalars, `false`)
 * replaces.
 *
 * @since 0.1.0
 * @category combinators
 */
export const mergeJson = (base: unknown, override: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(override)) return override
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) {
    out[key] = key in base ? mergeJson(base[key], value) : value
  }
  return out
}

/**
 * `{ "extends": "notion", …overrides }`: the overrides are merged into the built-in preset's JSON form.
 */
const resolveExtends = (input: unknown, source: string): Effect.Effect<unknown, InvalidConfig> => {
  if (!isPlainObject(input) || !("extends" in input)) return Effect.succeed(input)
  const { extends: name, ...rest } = input
  const preset = typeof name === "string" ? getPreset(name) : undefined
  if (preset === undefined) {
    return Effect.fail(
      singleIssue(source, ["extends"], `Expected the name of a built-in preset (${presetNames.join(", ")}), got ${JSON.stringify(name)}`)
    )
  }
  return encode(preset).pipe(Effect.map((base) => mergeJson(base, rest)))
}

/**
 * Decode the text of a JSON config (a single API config object; `"extends": "<preset>"` starts from a
 * built-in preset). Errors name `source`, the field path and what was expected.
 *
 * @since 0.1.0
 * @category loading
 */
export const decodeJson = (text: string, source: string): Effect.Effect<ApiConfig, InvalidConfig> =>
  parseJson(text, source).pipe(
    Effect.flatMap((json) => resolveExtends(json, source)),
    Effect.flatMap((input) => decode(input, source))
  )

/**
 * Read and decode a JSON config file through `@effect/platform`'s `FileSystem`.
 *
 * @example
 * ```ts
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { ApiConfig } from "effect-governor"
 * const config = ApiConfig.loadFile("./notion.json").pipe(Effect.provide(NodeFileSystem.layer))
 * ```
 * @since 0.1.0
 * @category loading
 */
export const loadFile = (path: string): Effect.Effect<ApiConfig, InvalidConfig, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) => singleIssue(path, [], `Could not read the config file: ${error.message}`))
    )
    return yield* decodeJson(text, path)
  })

// ---------------------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface EnvOptions {
  /** First part of every variable name. Default `"GOVERNOR"`. */
  readonly prefix?: string | undefined
  /** Config the variables overlay. Default: the built-in preset named `name`, if any. */
  readonly base?: ApiConfig | undefined
}

/**
 * One environment variable understood by {@link fromEnv}.
 *
 * @since 0.1.0
 * @category models
 */
export interface EnvVariable {
  /** Variable name without the `<PREFIX>_<NAME>_` part, e.g. `RETRY_MAX_RETRIES`. */
  readonly suffix: string
  /** Config path it sets. */
  readonly segments: ReadonlyArray<string>
  readonly kind: EnvKind
}

const envFields: ReadonlyArray<{ readonly field: FieldInfo; readonly suffix: string }> = allFields
  .filter((field) => field.segments[0] !== "name" && !field.isSection)
  .map((field) => ({ field, suffix: field.segments.map(screamingSnake).join("_") }))

/**
 * Every variable suffix {@link fromEnv} reads, with the field it sets and how its text is parsed.
 *
 * @since 0.1.0
 * @category env
 */
export const envVariables: ReadonlyArray<EnvVariable> = envFields.map(({ field, suffix }) => ({
  suffix,
  segments: field.segments,
  kind: field.kind
}))

/**
 * `"notion"` → `"NOTION"`, `"stripe-test"` → `"STRIPE_TEST"`: the API name as it appears in variable names.
 *
 * @since 0.1.0
 * @category env
 */
export const envSegment = (name: string): string => name.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()

/**
 * `GOVERNOR_NOTION` for `("notion")`.
 *
 * @since 0.1.0
 * @category env
 */
export const envPrefix = (name: string, prefix = "GOVERNOR"): string => `${prefix}_${envSegment(name)}`

/**
 * The variable holding the token when `auth.env` is not set: `GOVERNOR_<NAME>_TOKEN`.
 *
 * @since 0.1.0
 * @category env
 */
export const defaultTokenVariable = (name: string, prefix = "GOVERNOR"): string => `${envPrefix(name, prefix)}_TOKEN`

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i
const TRUE = new Set(["true", "yes", "on", "1"])
const FALSE = new Set(["false", "no", "off", "0"])

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

const parseNumber = (text: string): Parsed =>
  NUMBER.test(text.trim())
    ? { ok: true, value: Number(text.trim()) }
    : { ok: false, message: `Expected a number, got ${JSON.stringify(text)}` }

const parseList = (text: string, item: (part: string) => Parsed): Parsed => {
  const trimmed = text.trim()
  if (trimmed.startsWith("[")) return parseJsonValue(trimmed)
  const values: Array<unknown> = []
  for (const part of trimmed.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const parsed = item(part)
    if (!parsed.ok) return parsed
    values.push(parsed.value)
  }
  return { ok: true, value: values }
}

const parseJsonValue = (text: string): Parsed => {
  try {
    return { ok: true, value: JSON.parse(text) as Json }
  } catch {
    return { ok: false, message: describeJsonError(text) }
  }
}

const parseEnvText = (kind: EnvKind, text: string): Parsed => {
  switch (kind) {
    case "string":
      return { ok: true, value: text }
    case "number":
      return parseNumber(text)
    case "boolean": {
      const lower = text.trim().toLowerCase()
      if (TRUE.has(lower)) return { ok: true, value: true }
      if (FALSE.has(lower)) return { ok: true, value: false }
      return { ok: false, message: `Expected true/false (or yes/no, on/off, 1/0), got ${JSON.stringify(text)}` }
    }
    case "duration":
      return NUMBER.test(text.trim()) ? parseNumber(text) : { ok: true, value: text.trim() }
    case "numberList":
      return parseList(text, parseNumber)
    case "stringList":
      return parseList(text, (part) => ({ ok: true, value: part }))
    case "json":
      return parseJsonValue(text)
  }
}

const setPath = (target: Record<string, unknown>, segments: ReadonlyArray<string>, value: unknown): void => {
  const [head, ...rest] = segments
  if (head === undefined) return
  if (rest.length === 0) {
    target[head] = value
    return
  }
  const next = isPlainObject(target[head]) ? { ...(target[head] as Record<string, unknown>) } : {}
  target[head] = next
  setPath(next, rest, value)
}

/** The variable that controls the field at `segments` (the longest mapped prefix). */
const variableFor = (variablePrefix: string) => (segments: ReadonlyArray<PathSegment>): string | undefined => {
  let best: { readonly suffix: string; readonly length: number } | undefined
  for (const { field, suffix } of envFields) {
    const matches = field.segments.every((segment, i) => segments[i] === segment)
    if (matches && (best === undefined || field.segments.length > best.length)) {
      best = { suffix, length: field.segments.length }
    }
  }
  return best === undefined ? undefined : `${variablePrefix}_${best.suffix}`
}

const fromEffectConfigError = (error: EffectConfigError.ConfigError): InvalidConfig =>
  // Effect's message names the variable path; values of missing/invalid variables are not echoed.
  singleIssue("env", [], String(error))

/**
 * Read the config of API `name` from the current `ConfigProvider` (the process environment by default):
 * `<PREFIX>_<NAME>_<FIELD>` variables overlay `options.base` or the built-in preset named `name` (without
 * either, at least `<PREFIX>_<NAME>_BASE_URL` must be set). Errors name the variable.
 *
 * @example
 * ```ts
 * import { ConfigProvider, Effect } from "effect"
 * import { ApiConfig } from "effect-governor"
 * const program = ApiConfig.fromEnv("notion").pipe(
 *   Effect.withConfigProvider(
 *     ConfigProvider.fromMap(new Map([["GOVERNOR_NOTION_RETRY_MAX_RETRIES", "7"]]), { pathDelim: "_" })
 *   )
 * )
 * ```
 * @since 0.1.0
 * @category env
 */
export const fromEnv = (name: string, options: EnvOptions = {}): Effect.Effect<ApiConfig, InvalidConfig> =>
  Effect.gen(function*() {
    const variablePrefix = envPrefix(name, options.prefix)
    const values = yield* Config.nested(
      Config.all(
        Object.fromEntries(envFields.map(({ suffix }) => [suffix, Config.option(Config.string(suffix))] as const))
      ),
      variablePrefix
    ).pipe(Effect.mapError(fromEffectConfigError))

    const overlay: Record<string, unknown> = {}
    const problems: Array<InvalidConfig> = []
    for (const { field, suffix } of envFields) {
      const text = values[suffix]
      if (text === undefined || Option.isNone(text)) continue
      const parsed = parseEnvText(field.kind, text.value)
      if (parsed.ok) setPath(overlay, field.segments, parsed.value)
      else problems.push(singleIssue("env", field.segments, parsed.message, `${variablePrefix}_${suffix}`))
    }
    if (problems.length > 0) return yield* Effect.fail(invalidConfig("env", problems.flatMap((p) => p.issues)))

    const base = options.base ?? getPreset(name)
    const baseJson = base === undefined ? { name } : yield* encode(base)
    const merged = mergeJson(baseJson, { ...overlay, name })
    return yield* Schema.decodeUnknown(ApiConfigSchema)(merged).pipe(
      Effect.mapError((error) => fromParseError("env", error, variableFor(variablePrefix)))
    )
  })

// ---------------------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------------------

/**
 * Read the API token from the environment variable named by `auth.env` (default `GOVERNOR_<NAME>_TOKEN`)
 * as a `Redacted` value, through the current `ConfigProvider`. The token never appears in errors.
 *
 * @since 0.1.0
 * @category env
 */
export const tokenFromEnv = (config: ApiConfig): Effect.Effect<Redacted.Redacted<string>, InvalidConfig> => {
  if (config.auth === undefined) {
    return Effect.fail(
      singleIssue(
        `config "${config.name}"`,
        ["auth"],
        "Expected an auth section (scheme, header, env) saying how to send the token"
      )
    )
  }
  const variable = config.auth.env ?? defaultTokenVariable(config.name)
  return Config.redacted(variable).pipe(
    Effect.mapError(() =>
      singleIssue("env", ["auth", "env"], `Expected the API token in environment variable ${variable}`, variable)
    ),
    Effect.filterOrFail(
      (token) => Redacted.value(token).trim() !== "",
      () => singleIssue("env", ["auth", "env"], `Environment variable ${variable} is empty`, variable)
    )
  )
}

/**
 * The header that carries `token` under `auth`: `[header, "Bearer <token>"]` for the bearer scheme,
 * `[header, token]` for the header scheme. The value stays `Redacted`.
 *
 * @since 0.1.0
 * @category auth
 */
export const authHeader = (
  auth: Pick<AuthSettings, "scheme" | "header">,
  token: Redacted.Redacted<string>
): readonly [name: string, value: Redacted.Redacted<string>] =>
  auth.scheme === "bearer"
    ? [auth.header, Redacted.make(`Bearer ${Redacted.value(token)}`)]
    : [auth.header, token]
