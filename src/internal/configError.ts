/**
 * The config error and the translation of Schema `ParseError`s into errors that name the source (file
 * or environment), the field path and what was expected. Below every folder that decodes options
 * (config, limiter, testing), so none of them imports another for it; public through
 * `ApiConfig` (`src/ApiConfig.ts`, by way of `config/errors.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import { ParseResult, Schema } from "effect"

/**
 * One path segment: a property name or an array index.
 *
 * @since 0.1.0
 * @category models
 */
export type PathSegment = string | number

/**
 * One problem found in a config: where (`path` as text and as segments) and what was expected.
 * `variable` names the environment variable the value came from, when it came from one.
 *
 * @since 0.1.0
 * @category models
 */
export class ConfigIssue extends Schema.Class<ConfigIssue>("ConfigIssue")({
  path: Schema.String,
  segments: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  message: Schema.String,
  variable: Schema.optional(Schema.String)
}) {}

/**
 * A config could not be read or decoded. `source` is the file path, `"env"`, or another label given by
 * the caller (e.g. `register("notion")`). `path` / `segments` / `expected` describe the first issue;
 * `issues` holds all of them (decoding reports every problem at once, not only the first). Tagged
 * `InvalidConfig`, not `ConfigError`: that is the tag of Effect's own `ConfigError` (what `Config`
 * fails with), which the same program may catch.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConfig extends Schema.TaggedError<InvalidConfig>()("InvalidConfig", {
  source: Schema.String,
  /** Field path of the first issue, e.g. `limits[0].burst` (empty for the whole document). */
  path: Schema.String,
  segments: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  /** What was expected at `path`, e.g. `Expected a finite number greater than 0, got -1`. */
  expected: Schema.String,
  /** The environment variable holding the bad value, when the source is the environment. */
  variable: Schema.optional(Schema.String),
  issues: Schema.Array(ConfigIssue)
}) {
  override get message(): string {
    return `Invalid config (${this.source}):\n${this.issues.map(formatIssueLine).join("\n")}`
  }
}

const formatIssueLine = (issue: ConfigIssue): string =>
  `  - ${issue.variable !== undefined ? `${issue.variable} → ` : ""}${
    issue.path === "" ? "(document)" : issue.path
  }: ${issue.message}`

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/**
 * Render path segments the way a user would write them: `limits[0].burst`, `headers["X-Api-Version"]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatPath = (segments: ReadonlyArray<PathSegment>): string =>
  segments.reduce<string>((out, segment) => {
    if (typeof segment === "number") return `${out}[${segment}]`
    if (IDENTIFIER.test(segment)) return out === "" ? segment : `${out}.${segment}`
    return `${out}[${JSON.stringify(segment)}]`
  }, "")

const EXPECTED_ACTUAL = /^Expected (.*), actual (.*)$/s

/**
 * Flatten a `ParseError` into issues: one per path, with the alternatives of a union merged into a single
 * "Expected a | b | c, actual x" line instead of one line per member.
 *
 * @since 0.1.0
 * @category conversions
 */
export const issuesFromParseError = (
  error: ParseResult.ParseError,
  variableOf: (segments: ReadonlyArray<PathSegment>) => string | undefined = () => undefined
): ReadonlyArray<ConfigIssue> => {
  const raw = ParseResult.ArrayFormatter.formatErrorSync(error)
  const byPath = new Map<string, { segments: ReadonlyArray<PathSegment>; messages: Array<string> }>()
  for (const issue of raw) {
    const segments = issue.path.map((k): PathSegment => (typeof k === "number" ? k : String(k)))
    const key = JSON.stringify(segments)
    const entry = byPath.get(key) ?? { segments, messages: [] }
    if (!entry.messages.includes(issue.message)) entry.messages.push(issue.message)
    byPath.set(key, entry)
  }
  const entries = Array.from(byPath.values())
  // A union member that failed deeper ("throttle.threshold: …") is more useful than the sibling member's
  // "throttle: Expected false, actual {…}"; keep the parent line only when nothing deeper explains it.
  const explainedDeeper = (segments: ReadonlyArray<PathSegment>) =>
    entries.some((other) =>
      other.segments.length > segments.length && segments.every((segment, i) => other.segments[i] === segment)
    )
  return entries.filter(({ messages, segments }) =>
    !(explainedDeeper(segments) && messages.every((m) => EXPECTED_ACTUAL.test(m)))
  ).map(({ messages, segments }) => {
    const variable = variableOf(segments)
    return new ConfigIssue({
      path: formatPath(segments),
      segments,
      message: mergeMessages(messages),
      ...(variable !== undefined ? { variable } : {})
    })
  })
}

/**
 * Schema messages end in "actual <value>". A whole object or array there may hold a secret pasted into
 * the wrong place (and is unreadable anyway), so it is replaced by its kind.
 */
const sanitize = (message: string): string => {
  const match = EXPECTED_ACTUAL.exec(message)
  if (match === null) return message
  const actual = match[2]!
  if (actual.startsWith("{")) return `Expected ${match[1]}, got an object`
  if (actual.startsWith("[")) return `Expected ${match[1]}, got an array`
  return message
}

const mergeMessages = (raw: ReadonlyArray<string>): string => {
  const messages = Array.from(new Set(raw.map(sanitize)))
  if (messages.length < 2) return messages[0] ?? "invalid value"
  const parsed = messages.map((m) => EXPECTED_ACTUAL.exec(m))
  const first = parsed[0]
  if (first && parsed.every((p) => p !== null && p[2] === first[2])) {
    const expected = Array.from(new Set(parsed.map((p) => p![1]!)))
    return `Expected ${expected.join(" | ")}, actual ${first[2]}`
  }
  return messages.join("; ")
}

/**
 * Build an `InvalidConfig` from a list of issues (at least one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalidConfig = (source: string, issues: ReadonlyArray<ConfigIssue>): InvalidConfig => {
  const first = issues[0] ?? new ConfigIssue({ path: "", segments: [], message: "invalid config" })
  return new InvalidConfig({
    source,
    path: first.path,
    segments: first.segments,
    expected: first.message,
    ...(first.variable !== undefined ? { variable: first.variable } : {}),
    issues: issues.length === 0 ? [first] : issues
  })
}

/**
 * An `InvalidConfig` with a single issue.
 *
 * @since 0.1.0
 * @category constructors
 */
export const singleIssue = (
  source: string,
  segments: ReadonlyArray<PathSegment>,
  message: string,
  variable?: string
): InvalidConfig =>
  invalidConfig(source, [
    new ConfigIssue({
      path: formatPath(segments),
      segments,
      message,
      ...(variable !== undefined ? { variable } : {})
    })
  ])

/**
 * Translate a `ParseError` from decoding a config into an `InvalidConfig` naming `source`.
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromParseError = (
  source: string,
  error: ParseResult.ParseError,
  variableOf?: (segments: ReadonlyArray<PathSegment>) => string | undefined
): InvalidConfig => invalidConfig(source, issuesFromParseError(error, variableOf))
