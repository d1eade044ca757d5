/**
 * The `Redaction` service: the redactor (rules + mask) in effect for the current fiber, plus the
 * request-log policy (headers only at debug, bodies off by default). Other modules (the client,
 * tracing) read it to redact URLs and headers before they build a log line or a span attribute.
 *
 * It is a `Context.Reference`: without a layer it holds the default rules with the `full` mask.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import * as redact from "./redact.js"

/**
 * When request / response headers go into log lines.
 * - `debug`: only when the minimum log level is Debug or lower (default)
 * - `always` / `never`
 *
 * @since 0.1.0
 */
export type HeaderLogging = "debug" | "always" | "never"

/**
 * What the request log lines may contain.
 *
 * @since 0.1.0
 */
export interface RequestLogPolicy {
  readonly headers: HeaderLogging
  /** Bodies are off by default; when on they are logged at Debug, redacted, then truncated. */
  readonly bodies: boolean
  /** Longest body text logged (after redaction). Default 2048. */
  readonly maxBodyChars: number
}

/**
 * The default request-log policy.
 *
 * @since 0.1.0
 */
export const defaultRequestLogPolicy: RequestLogPolicy = { headers: "debug", bodies: false, maxBodyChars: 2048 }

/**
 * The service value.
 *
 * @since 0.1.0
 */
export interface RedactionService {
  readonly redactor: redact.Redactor
  readonly requestLog: RequestLogPolicy
}

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 */
export interface RedactionOptions extends redact.RedactorOptions {
  /** Use this redactor instead of building one from `rules` / `mask` / `salt`. */
  readonly redactor?: redact.Redactor | undefined
  readonly requestLog?: Partial<RequestLogPolicy> | undefined
}

/**
 * Builds the service value.
 *
 * @since 0.1.0
 */
export const make = (options: RedactionOptions = {}): RedactionService => ({
  redactor: options.redactor ?? redact.makeRedactor(options),
  requestLog: { ...defaultRequestLogPolicy, ...definedOnly(options.requestLog ?? {}) }
})

const definedOnly = <A extends object>(a: A): Partial<A> =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Partial<A>

/**
 * The redaction in effect. Defaults to {@link make}`()`.
 *
 * @since 0.1.0
 * @category tags
 */
export class Redaction extends Context.Reference<Redaction>()("effect-governor/Redaction", {
  defaultValue: (): RedactionService => make()
}) {}

/**
 * A layer installing a redaction configuration.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedactionOptions = {}): Layer.Layer<Redaction> =>
  Layer.succeed(Redaction, make(options))

/**
 * The mask styles as a Schema, for configuration files.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MaskStyle: Schema.Schema<redact.MaskStyle> = Schema.Literal("full", "partial", "hash")

/**
 * How a secret is masked: `full` (`[REDACTED]`), `partial` (first and last 4 characters of long values),
 * `hash` (salted SHA-256 prefix, to correlate without revealing).
 *
 * @since 0.1.0
 * @category models
 */
export type MaskStyle = redact.MaskStyle

/**
 * Redacts a URL with the redaction in effect.
 *
 * @since 0.1.0
 */
export const redactUrl = (url: string | URL): Effect.Effect<string> =>
  Effect.map(Redaction, (r) => r.redactor.redactUrl(url))

/**
 * Redacts headers with the redaction in effect.
 *
 * @since 0.1.0
 */
export const redactHeaders = <H extends redact.HeadersInput>(headers: H): Effect.Effect<redact.RedactedHeaders<H>> =>
  Effect.map(Redaction, (r) => r.redactor.redactHeaders(headers))

/**
 * Redacts free text with the redaction in effect.
 *
 * @since 0.1.0
 */
export const redactText = (text: string): Effect.Effect<string> =>
  Effect.map(Redaction, (r) => r.redactor.redactText(text))

/**
 * Redacts any value with the redaction in effect.
 *
 * @since 0.1.0
 */
export const redactValue = (value: unknown): Effect.Effect<unknown> =>
  Effect.map(Redaction, (r) => r.redactor.redactValue(value))
