/**
 * The options of the simulated API, as a Schema: unknown keys, wrong types and out-of-range values fail
 * with an `InvalidSimulatedApiOptions` naming the field. Defaults depend on the server family (a GCRA
 * server sends no Retry-After, as nginx does), so they are filled in after decoding.
 *
 * @since 0.1.0
 */
import { Duration, Either, Option, ParseResult, Schema } from "effect"
import { decodeOptions } from "../internal/schema.js"
import type { HeaderStyle } from "./rateLimitHeaders.js"
import type { RetryAfterStyle } from "./retryAfterValue.js"
import { type Algorithm, quotaOf } from "./ServerLimiter.js"

/**
 * A fixed duration, or one drawn uniformly in `[min, max]` for every request.
 *
 * @since 0.1.0
 * @category models
 */
export type Delay = Duration.DurationInput | { readonly min: Duration.DurationInput; readonly max: Duration.DurationInput }

/**
 * The server family (see the `SimulatedApi` module docs).
 *
 * @since 0.1.0
 * @category models
 */
export type AlgorithmOption =
  | { readonly type: "token-bucket" }
  | {
    readonly type: "fixed-window"
    readonly window: Duration.DurationInput
    readonly anchor?: "first-request" | "clock" | undefined
  }
  | { readonly type: "sliding-log"; readonly window: Duration.DurationInput }
  | { readonly type: "gcra" }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Hidden sustained limit, requests per second. A window family admits `rate × window` per window. */
  readonly rate: number
  /**
   * Requests admitted at once from idle, for the bucket families: a token bucket's capacity (default
   * `max(1, rate)`), a GCRA's burst (default 1; nginx `burst=N nodelay` is `N + 1`). Window families
   * have none.
   */
  readonly burst?: number | undefined
  /** The server family. Default `{ type: "token-bucket" }`. */
  readonly algorithm?: AlgorithmOption | undefined
  /** How rejections say when to come back. Default `"seconds"`, `"none"` for `gcra`. */
  readonly retryAfter?: RetryAfterStyle | undefined
  /**
   * Status of a rejection. Default 429. 503 is nginx's default; 403 is GitHub's (it needs
   * `headers.xRateLimit`, whose `X-RateLimit-Remaining: 0` tells it from an auth failure).
   */
  readonly rejectStatus?: 429 | 503 | 403 | undefined
  /** Rate-limit headers to send on every response. Default none. */
  readonly headers?: HeaderStyle | undefined
  /** Probability in [0, 1] that an admitted request fails with one of `errorStatuses`. Default 0. */
  readonly errorRate?: number | undefined
  /** Statuses of injected failures, drawn uniformly; never with Retry-After. Default `[500]`. */
  readonly errorStatuses?: ReadonlyArray<500 | 502 | 503 | 504> | undefined
  /** Probability in [0, 1] that an admitted request's socket is destroyed. Default 0. */
  readonly resetRate?: number | undefined
  /** Server time before each admitted response. Default none. */
  readonly latency?: Delay | undefined
  /**
   * Network delay each way, for every request: before the limiter sees it, and again before its
   * response (any status) reaches the client. Drawn independently per direction. Default none.
   */
  readonly networkDelay?: Delay | undefined
  /** Seed of the fault and delay PRNGs. Default 1. */
  readonly seed?: number | undefined
  /** Size of the `/items` collection. Default 100. */
  readonly items?: number | undefined
  /** Loopback port to listen on. Default 0 (a free port, read it from `port` / `url`). */
  readonly port?: number | undefined
  /** `max-age` (whole seconds) sent with `GET /items/:id`. Default 0: always revalidate. */
  readonly maxAge?: number | undefined
}

/**
 * @since 0.1.0
 * @category errors
 */
export class InvalidSimulatedApiOptions extends Schema.TaggedError<InvalidSimulatedApiOptions>()(
  "InvalidSimulatedApiOptions",
  { field: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `Invalid simulated API option "${this.field}": ${this.reason}`
  }
}

/**
 * A delay range in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface DelayMs {
  readonly min: number
  readonly max: number
}

/**
 * Options with every default filled in, durations in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly rate: number
  readonly burst: number
  readonly algorithm: Algorithm
  readonly retryAfter: RetryAfterStyle
  readonly rejectStatus: 429 | 503 | 403
  readonly headers: HeaderStyle
  readonly errorRate: number
  readonly errorStatuses: ReadonlyArray<500 | 502 | 503 | 504>
  readonly resetRate: number
  readonly latency: DelayMs
  readonly networkDelay: DelayMs
  readonly seed: number
  readonly items: number
  readonly port: number
  readonly maxAge: number
}

const check = (predicate: (n: number) => boolean, expected: string) =>
  Schema.filter<typeof Schema.Number>(predicate, { message: (issue) => `Expected ${expected}, got ${String(issue.actual)}` })

const Positive = Schema.Number.pipe(check((n) => Number.isFinite(n) && n > 0, "a finite number > 0"))
const Burst = Schema.Number.pipe(check((n) => Number.isFinite(n) && n >= 1, "a finite number >= 1"))
const Probability = Schema.Number.pipe(check((n) => Number.isFinite(n) && n >= 0 && n <= 1, "a probability in [0, 1]"))
const WholeNumber = Schema.Number.pipe(check((n) => Number.isSafeInteger(n) && n >= 0, "a whole number >= 0"))
const Port = Schema.Number.pipe(check((n) => Number.isSafeInteger(n) && n >= 0 && n <= 65535, "a port number in [0, 65535]"))

const DURATION = `a finite duration >= 0 (milliseconds or a string like "50 millis")`

/** Milliseconds of any finite, non-negative `Duration.DurationInput`. */
const millisOf = (input: unknown): number | undefined => {
  if (typeof input === "number" && !(input >= 0)) return undefined
  const decoded = Duration.decodeUnknown(input)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value) ? Duration.toMillis(decoded.value) : undefined
}

const Millis = Schema.transformOrFail(Schema.Unknown, Schema.Number, {
  strict: true,
  decode: (input, _, ast) => {
    const ms = millisOf(input)
    return ms === undefined ? ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${DURATION}, got ${String(input)}`)) : ParseResult.succeed(ms)
  },
  encode: ParseResult.succeed
})

/** A duration, or a `{ min, max }` range of them, as a range in milliseconds. */
const DelaySchema = Schema.transformOrFail(Schema.Unknown, Schema.Struct({ min: Schema.Number, max: Schema.Number }), {
  strict: true,
  decode: (input, _, ast) => {
    const range = typeof input === "object" && input !== null && !Array.isArray(input) && !Duration.isDuration(input)
    if (!range) {
      const ms = millisOf(input)
      return ms === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${DURATION} or { min, max }, got ${String(input)}`))
        : ParseResult.succeed({ min: ms, max: ms })
    }
    const { max: rawMax, min: rawMin } = input as { readonly min?: unknown; readonly max?: unknown }
    const min = millisOf(rawMin)
    const max = millisOf(rawMax)
    const bad = (key: "min" | "max", actual: unknown, message: string) =>
      ParseResult.fail(new ParseResult.Pointer(key, input, new ParseResult.Type(ast, actual, message)))
    if (min === undefined) return bad("min", rawMin, `Expected ${DURATION}, got ${String(rawMin)}`)
    if (max === undefined) return bad("max", rawMax, `Expected ${DURATION}, got ${String(rawMax)}`)
    if (max < min) return bad("max", rawMax, `Expected max >= min (${min} ms), got ${max} ms`)
    return ParseResult.succeed({ min, max })
  },
  encode: ParseResult.succeed
})

const WindowMs = Millis.pipe(Schema.filter((ms) => ms > 0, { message: () => "Expected a window longer than 0" }))

const AlgorithmSchema = Schema.Union(
  Schema.Struct({ type: Schema.Literal("token-bucket") }),
  Schema.Struct({ type: Schema.Literal("fixed-window"), window: WindowMs, anchor: Schema.optional(Schema.Literal("first-request", "clock")) }),
  Schema.Struct({ type: Schema.Literal("sliding-log"), window: WindowMs }),
  Schema.Struct({ type: Schema.Literal("gcra") })
)

const Token = Schema.String.pipe(Schema.filter((s) => /^[A-Za-z0-9._-]{1,64}$/.test(s), {
  message: (issue) => `Expected letters, digits, ".", "_" or "-" (1-64 of them), got ${JSON.stringify(issue.actual)}`
}))

const HeaderStyleSchema = Schema.Struct({
  xRateLimit: Schema.optional(Schema.Literal(false, "delta", "epoch")),
  ietf: Schema.optional(Schema.Union(
    Schema.Boolean,
    Schema.Struct({
      draft: Schema.optional(Schema.Literal("structured", "draft-7", "draft-6")),
      name: Schema.optional(Token),
      partitionKey: Schema.optional(Schema.String),
      quotaUnit: Schema.optional(Token)
    })
  ))
})

// Top-level keys set to `undefined` are dropped before decoding, so a bad value meets one schema, not
// a union with `undefined`.
const exact = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

const OptionsSchema = Schema.Struct({
  rate: Positive,
  burst: exact(Burst),
  algorithm: exact(AlgorithmSchema),
  retryAfter: exact(Schema.Literal("seconds", "precise", "http-date", "none")),
  rejectStatus: exact(Schema.Literal(429, 503, 403)),
  headers: exact(HeaderStyleSchema),
  errorRate: exact(Probability),
  errorStatuses: exact(Schema.NonEmptyArray(Schema.Literal(500, 502, 503, 504))),
  resetRate: exact(Probability),
  latency: exact(DelaySchema),
  networkDelay: exact(DelaySchema),
  seed: exact(Schema.Number.pipe(check((n) => Number.isSafeInteger(n), "an integer"))),
  items: exact(WholeNumber),
  port: exact(Port),
  maxAge: exact(WholeNumber)
}).annotations({ parseOptions: { onExcessProperty: "error" } }) // a misspelt option is refused, not ignored

const fail = (field: string, reason: string) => Either.left(new InvalidSimulatedApiOptions({ field, reason }))

const decode = decodeOptions(OptionsSchema, (field, reason) => new InvalidSimulatedApiOptions({ field, reason }))

const toAlgorithm = (a: Schema.Schema.Type<typeof AlgorithmSchema> | undefined): Algorithm => {
  if (a === undefined || a.type === "token-bucket" || a.type === "gcra") return { type: a?.type ?? "token-bucket" }
  if (a.type === "sliding-log") return { type: a.type, windowMs: a.window }
  return { type: a.type, windowMs: a.window, anchor: a.anchor ?? "first-request" }
}

const NO_DELAY: DelayMs = { min: 0, max: 0 }

/**
 * Check a limit (at start or from `setLimit`) against the family: a positive rate; a burst >= 1 for
 * the bucket families and none for the window families, whose `rate × window` must be whole requests.
 * Returns the burst in force (window families: their quota).
 *
 * @since 0.1.0
 * @category validation
 */
export const checkLimit = (
  algorithm: Algorithm,
  rate: unknown,
  burst: unknown
): Either.Either<number, InvalidSimulatedApiOptions> => {
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) return fail("rate", `Expected a finite number > 0, got ${String(rate)}`)
  if (algorithm.type === "fixed-window" || algorithm.type === "sliding-log") {
    if (burst !== undefined) return fail("burst", `not used by ${algorithm.type}: it admits rate × window per window`)
    const exact = (rate * algorithm.windowMs) / 1000
    const quota = quotaOf(rate, algorithm.windowMs)
    if (quota < 1 || Math.abs(exact - quota) > 1e-6 * quota) {
      return fail("rate", `rate × window must be a whole number of requests >= 1, got ${exact}`)
    }
    return Either.right(quota)
  }
  const b = burst ?? (algorithm.type === "gcra" ? 1 : Math.max(1, rate))
  if (typeof b !== "number" || !Number.isFinite(b) || b < 1) return fail("burst", `Expected a finite number >= 1, got ${String(b)}`)
  return Either.right(b)
}

/**
 * Validate options and fill in defaults. Pure.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveOptions = (options: Options): Either.Either<Resolved, InvalidSimulatedApiOptions> =>
  Either.gen(function*() {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
    const o = yield* decode(defined)
    const algorithm = toAlgorithm(o.algorithm)
    const burst = yield* checkLimit(algorithm, o.rate, o.burst)
    const headers: HeaderStyle = o.headers ?? {}
    const rejectStatus = o.rejectStatus ?? 429
    if (rejectStatus === 403 && (headers.xRateLimit === undefined || headers.xRateLimit === false)) {
      return yield* fail("rejectStatus", "403 reads as a rate limit only with X-RateLimit-Remaining: 0 (as GitHub sends): set headers.xRateLimit")
    }
    return {
      rate: o.rate,
      burst,
      algorithm,
      retryAfter: o.retryAfter ?? (algorithm.type === "gcra" ? "none" : "seconds"),
      rejectStatus,
      headers,
      errorRate: o.errorRate ?? 0,
      errorStatuses: o.errorStatuses ?? [500],
      resetRate: o.resetRate ?? 0,
      latency: o.latency ?? NO_DELAY,
      networkDelay: o.networkDelay ?? NO_DELAY,
      seed: o.seed ?? 1,
      items: o.items ?? 100,
      port: o.port ?? 0,
      maxAge: o.maxAge ?? 0
    }
  })
