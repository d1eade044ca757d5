/**
 * `ApiConfig`: everything the governor needs to know about one upstream API, as a Schema that decodes
 * JSON-friendly input (numbers of milliseconds or strings like `"1 minute"` for durations) into typed
 * values. Every section is optional with safe, finite defaults, so `{ name, baseUrl }` is a full config.
 *
 * The token is never part of an `ApiConfig`: `auth` only says how to send it and which environment
 * variable holds it; the value enters as `Redacted` (see `tokenFromEnv`).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Either, Layer, Schema } from "effect"
import { MAX_LIMIT_AMOUNT, MAX_LIMIT_PERIOD, MIN_LIMIT_PERIOD } from "../internal/bounds.js"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"
import { NonEmptyTrimmedString } from "../internal/schema.js"
import { LimitList } from "../limiter/Limit.js"
import { type InvalidConfig, fromParseError, singleIssue } from "./errors.js"
import { BaseUrl, Headers, RequestWait, WAIT_RANGE } from "./internal/fieldSchemas.js"
import {
  AdaptiveSection,
  AuthSection,
  BreakerSection,
  BulkheadSection,
  CacheSection,
  LoggingSection,
  RetrySection,
  ThrottleSection,
  TimeoutsSection
} from "./sections.js"

/**
 * Header names that carry credentials. They may not appear in `headers`: the token comes from the
 * environment through `auth`, never from the config file.
 */
const CREDENTIAL_HEADER_SET: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS)

const section = <S extends Schema.Schema.AnyNoContext>(schema: S, description: string) =>
  Schema.optionalWith(schema, {
    exact: true,
    default: () => Schema.decodeUnknownSync(schema)({}) as Schema.Schema.Type<S>
  }).annotations({ description })

const ApiConfigSchema = Schema.Struct({
  name: Schema.propertySignature(NonEmptyTrimmedString).annotations({
    description: "Name of the API; the key in the registry, metrics and logs."
  }),
  baseUrl: Schema.propertySignature(BaseUrl).annotations({
    description: "Absolute http(s) URL that request paths are resolved against."
  }),
  limits: Schema.optionalWith(LimitList, { exact: true, default: () => [] }).annotations({
    description:
      `Token buckets: \`{ name, limit, per: "second"|"minute"|"hour"|"day", burst?, window? }\` or \`{ name, capacity, refillAmount, refillPeriod, window? }\`; unique names. Capacity (burst) 1 to ${MAX_LIMIT_AMOUNT} tokens, refillPeriod ${
        Duration.format(MIN_LIMIT_PERIOD)
      } to ${Duration.format(MAX_LIMIT_PERIOD)}, refilling at least one token per ${Duration.format(MAX_LIMIT_PERIOD)}.`
  }),
  adaptive: section(AdaptiveSection, "Adaptive rate (AIMD); minRate <= initialRate <= maxRate."),
  retry: section(RetrySection, "Retry policy."),
  breaker: section(BreakerSection, "Circuit breaker."),
  bulkhead: section(BulkheadSection, "Concurrency limit with a bounded wait queue."),
  cache: section(CacheSection, "Response cache."),
  timeouts: section(TimeoutsSection, "Timeouts; attempt <= overall."),
  headers: Schema.optionalWith(Headers, {
    exact: true,
    default: () => ({})
  }).annotations({ description: "Headers sent with every request (no credentials: use auth)." }),
  auth: Schema.optionalWith(AuthSection, { exact: true }).annotations({
    description: "How the token is sent; the token itself comes from the environment as a Redacted value."
  }),
  logging: section(LoggingSection, "Redacting request/response logger."),
  documentedLimit: Schema.optionalWith(Schema.String, { exact: true, default: () => "" }).annotations({
    description: "What the vendor documents about its limits, and where (free text)."
  }),
  throttle: Schema.optionalWith(ThrottleSection, { exact: true, default: () => ({ threshold: 0.8 }) }).annotations({
    description: "Spread requests out when a bucket runs low, or false to let bursts through."
  }),
  minInterval: Schema.optionalWith(RequestWait, { exact: true, default: () => Duration.zero }).annotations({
    description: `Minimum spacing between two requests (${WAIT_RANGE}).`
  })
}).pipe(
  Schema.filter((config): Schema.FilterOutput => {
    const authHeader = config.auth?.header.toLowerCase()
    for (const name of Object.keys(config.headers)) {
      const lower = name.toLowerCase()
      if (CREDENTIAL_HEADER_SET.has(lower) || lower === authHeader) {
        // Never echo the value: it is probably a secret.
        return {
          path: ["headers", name],
          message:
            `credentials must not be stored in the config: remove header ${JSON.stringify(name)} and use the auth section (the token comes from an environment variable)`
        }
      }
    }
    return true
  })
).annotations({
  identifier: "ApiConfig",
  description: "Configuration of one upstream API.",
  // Typos ("maxRetires") are errors, not silently ignored keys; every problem is reported at once.
  parseOptions: { onExcessProperty: "error", errors: "all" }
})

/**
 * The decoded, typed config of one API.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiConfig extends Schema.Schema.Type<typeof ApiConfigSchema> {}

/**
 * The JSON-friendly input form of an {@link ApiConfig} (what config files contain, what encoding produces).
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiConfigEncoded extends Schema.Schema.Encoded<typeof ApiConfigSchema> {}

/**
 * The `ApiConfig` schema: decodes {@link ApiConfigEncoded} (JSON) into {@link ApiConfig}. Unknown keys are
 * errors and every issue is reported.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiConfig } from "effect-governor"
 * const config = Schema.decodeUnknownSync(ApiConfig.ApiConfig)({ name: "acme", baseUrl: "https://api.acme.test" })
 * config.retry.maxRetries // 3
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const ApiConfig: Schema.Schema<ApiConfig, ApiConfigEncoded> = ApiConfigSchema

/**
 * Section types, for consumers that take one section.
 *
 * @since 0.1.0
 * @category models
 */
export type AdaptiveSettings = ApiConfig["adaptive"]
/** @since 0.1.0 @category models */
export type RetrySettings = ApiConfig["retry"]
/** @since 0.1.0 @category models */
export type BreakerSettings = ApiConfig["breaker"]
/** @since 0.1.0 @category models */
export type BulkheadSettings = ApiConfig["bulkhead"]
/** @since 0.1.0 @category models */
export type CacheSettings = ApiConfig["cache"]
/** @since 0.1.0 @category models */
export type TimeoutSettings = ApiConfig["timeouts"]
/** @since 0.1.0 @category models */
export type AuthSettings = NonNullable<ApiConfig["auth"]>
/** @since 0.1.0 @category models */
export type LoggingSettings = ApiConfig["logging"]
/** @since 0.1.0 @category models */
export type ThrottleSettings = ApiConfig["throttle"]

/**
 * Decode untrusted input (parsed JSON, an object literal) into an `ApiConfig`. `source` labels the
 * error (a file path, `"env"`, …).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown, source = "input"): Effect.Effect<ApiConfig, InvalidConfig> =>
  typeof input !== "object" || input === null || Array.isArray(input)
    ? Effect.fail(
      singleIssue(source, [], `Expected a JSON object with at least "name" and "baseUrl", got ${describe(input)}`)
    )
    : Schema.decodeUnknown(ApiConfig)(input).pipe(Effect.mapError((error) => fromParseError(source, error)))

const describe = (u: unknown): string => (u === null ? "null" : Array.isArray(u) ? "an array" : typeof u)

/**
 * Encode a config back to its JSON-friendly form (durations in milliseconds, limits in full form).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (config: ApiConfig): Effect.Effect<ApiConfigEncoded, InvalidConfig> =>
  Schema.encode(ApiConfig)(config).pipe(Effect.mapError((error) => fromParseError("encode", error)))

/**
 * Synchronous constructor from the JSON-friendly form. Throws the `InvalidConfig` itself on invalid input
 * (like `Limit.perSecond` and the other limit constructors); use {@link decode} for untrusted input.
 *
 * @example
 * ```ts
 * import { ApiConfig } from "effect-governor"
 * const config = ApiConfig.make({ name: "acme", baseUrl: "https://api.acme.test", retry: { maxRetries: 5 } })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ApiConfigEncoded): ApiConfig =>
  Either.getOrThrowWith(Effect.runSync(Effect.either(decode(input, "ApiConfig.make"))), (error) => error)

/**
 * Is this value already a decoded, valid `ApiConfig` (durations as `Duration`, limits as `Limit`)?
 *
 * @since 0.1.0
 * @category guards
 */
export const isApiConfig: (u: unknown) => u is ApiConfig = Schema.is(Schema.typeSchema(ApiConfig))

/**
 * Accept either a decoded `ApiConfig` (validated again) or its JSON-friendly form (decoded).
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromUnknown = (input: unknown, source = "input"): Effect.Effect<ApiConfig, InvalidConfig> =>
  isApiConfig(input) ? Effect.succeed(input) : decode(input, source)

// ---------------------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------------------

/**
 * The config the current program runs with.
 *
 * @since 0.1.0
 * @category context
 */
export class CurrentApiConfig extends Context.Tag("effect-governor/CurrentApiConfig")<CurrentApiConfig, ApiConfig>() {}

/**
 * Provide an already decoded config.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: ApiConfig): Layer.Layer<CurrentApiConfig> => Layer.succeed(CurrentApiConfig, config)

/**
 * Decode untrusted input (parsed JSON) and provide it; fails the layer with an `InvalidConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromJson = (input: unknown, source = "input"): Layer.Layer<CurrentApiConfig, InvalidConfig> =>
  Layer.effect(CurrentApiConfig, fromUnknown(input, source))
