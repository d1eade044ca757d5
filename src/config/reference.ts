/**
 * A Markdown reference of every `ApiConfig` field (path, type, default, description, environment
 * variable), generated from the schema so the README cannot drift from the code.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import { decode, encode } from "./ApiConfig.js"
import { allFields, type FieldInfo, screamingSnake } from "./internal/fields.js"

// `auth` has no default; a sample with it present lets the defaults of its own fields show.
const SAMPLE = { name: "example", baseUrl: "https://api.example.com", auth: { scheme: "bearer" } } as const

const defaults: unknown = Effect.runSync(Effect.flatMap(decode(SAMPLE, "reference"), encode))

const lookup = (value: unknown, segments: ReadonlyArray<string>): unknown =>
  segments.reduce<unknown>(
    (current, segment) =>
      typeof current === "object" && current !== null ? (current as Record<string, unknown>)[segment] : undefined,
    value
  )

const escapeCell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

const code = (text: string): string => `\`${text}\``

const renderDefault = (field: FieldInfo): string => {
  if (field.required) return "required"
  if (field.optionalNoDefault) return "—"
  if (field.isSection) return "see fields"
  const value = lookup(defaults, field.segments)
  if (value === undefined) return "—"
  if (field.typeName === "duration" && typeof value === "number") {
    return value === 0 ? code("0") : `${code(String(value))} (${Duration.format(Duration.millis(value))})`
  }
  return code(JSON.stringify(value))
}

const path = (field: FieldInfo): string => field.segments.join(".")

/**
 * The Markdown table: one row per field, sections before their fields.
 *
 * Columns: field path, type (`duration` = milliseconds or a string like `"1 minute"`), default
 * (`required`, `—` for absent, or the encoded default), environment variable suffix (after
 * `GOVERNOR_<NAME>_`), and description.
 *
 * @example
 * ```ts
 * import { ApiConfig } from "effect-governor"
 * console.log(ApiConfig.referenceTable())
 * ```
 * @since 0.1.0
 * @category reference
 */
export const markdownTable = (): string => {
  const header = ["| Field | Type | Default | Env (`GOVERNOR_<NAME>_…`) | Description |", "|---|---|---|---|---|"]
  const rows = allFields.map((field) => {
    const env = field.isSection || field.segments[0] === "name"
      ? ""
      : code(field.segments.map(screamingSnake).join("_"))
    return `| ${code(path(field))} | ${escapeCell(code(field.typeName))} | ${escapeCell(renderDefault(field))} | ${env} | ${
      escapeCell(field.description ?? "")
    } |`
  })
  return [...header, ...rows].join("\n")
}

/**
 * The full reference section: a short introduction and {@link markdownTable}. Stable output (no dates),
 * so a test can compare the README against it.
 *
 * @since 0.1.0
 * @category reference
 */
export const markdown = (): string =>
  [
    "## Configuration reference",
    "",
    "Every field except `name` and `baseUrl` is optional. Durations are milliseconds or strings such as",
    "`\"1 minute\"` / `\"250 millis\"`. Unknown keys are errors. Environment variables are",
    "`GOVERNOR_<NAME>_<FIELD>` (e.g. `GOVERNOR_NOTION_RETRY_MAX_RETRIES`); lists are comma-separated, `limits`,",
    "`headers` and `throttle` are JSON. The token is never part of the config: it is read from the variable",
    "named by `auth.env` (default `GOVERNOR_<NAME>_TOKEN`) as a redacted value. Numbers and durations are",
    "bounded (ranges in the descriptions; durations shown as `1d` = one day): a value outside its range, NaN or",
    "Infinity is an `InvalidConfig` naming the field. A malformed JSON file is reported by line and column, never",
    "by quoting it.",
    "",
    markdownTable(),
    ""
  ].join("\n")
