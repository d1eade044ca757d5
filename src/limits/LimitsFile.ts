/**
 * The declarative limits file (JSON, or YAML for `.yaml`/`.yml`): system defaults, resource
 * defaults and entity settings (parent and overrides). Decoding reports every problem with its path
 * (`entities["user-42"].limits.api[0].limit`); parents must be declared in the same file, and must
 * not loop.
 *
 * ```yaml
 * defaults: [{ name: rps, limit: 50, per: second }]
 * resources:
 *   openai: [{ name: rpm, limit: 3000, per: minute }]
 * entities:
 *   org-1: { limits: { openai: [{ name: rpm, limit: 600, per: minute }] } }
 *   user-42: { parent: org-1, limits: { "*": [{ name: rpm, limit: 60, per: minute }] } }
 * ```
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type InvalidConfig, fromParseError, singleIssue } from "../config/errors.js"
import { parseJson } from "../config/load.js"
import { EntityId, EntitySettings, type Entry, LimitList, ResourceName } from "./model.js"

/** Parents that are not declared, or that loop: one issue each, at the entity's `parent`. */
const hierarchyIssues = (entities: Readonly<Record<string, typeof EntitySettings.Type>>): Array<Schema.FilterIssue> => {
  const issues: Array<Schema.FilterIssue> = []
  for (const [id, settings] of Object.entries(entities)) {
    const path = ["entities", id, "parent"]
    if (settings.parent === undefined) continue
    if (entities[settings.parent] === undefined) {
      issues.push({ path, message: `parent ${JSON.stringify(settings.parent)} is not declared under entities` })
      continue
    }
    const seen = [id]
    for (let at: string | undefined = settings.parent; at !== undefined; at = entities[at]?.parent) {
      if (seen.includes(at)) {
        issues.push({ path, message: `parents loop: ${[...seen, at].join(" > ")}` })
        break
      }
      seen.push(at)
    }
  }
  return issues
}

/**
 * The file's schema; unknown keys are refused by {@link decode}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitsFile = Schema.Struct({
  /** The system default: limits of any (entity, resource) nothing more specific covers. */
  defaults: Schema.optionalWith(LimitList, { exact: true }),
  /** Default limits per resource. */
  resources: Schema.optionalWith(Schema.Record({ key: ResourceName, value: LimitList }), { exact: true }),
  /** Entity settings by id: `parent`, and `limits` by resource (`"*"`: every resource). */
  entities: Schema.optionalWith(Schema.Record({ key: EntityId, value: EntitySettings }), { exact: true })
}).pipe(Schema.filter((file) => hierarchyIssues(file.entities ?? {})))

/**
 * @since 0.1.0
 * @category models
 */
export type LimitsFile = typeof LimitsFile.Type

/**
 * Decode a parsed document; `source` labels the error (the file path).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown, source: string): Effect.Effect<LimitsFile, InvalidConfig> =>
  Schema.decodeUnknown(LimitsFile)(input, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => fromParseError(source, error))
  )

const isYaml = (path: string) => /\.ya?ml$/i.test(path)

// The YAML parser is imported when a YAML file is read: the root entry point does not load it.
const parseYamlText = (text: string, source: string): Effect.Effect<unknown, InvalidConfig> =>
  Effect.flatMap(Effect.promise(() => import("yaml")), ({ parse, YAMLParseError }) =>
    Effect.try({
      try: () => parse(text, { prettyErrors: true }) as unknown,
      catch: (error) => {
        const at = error instanceof YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : ""
        const reason = error instanceof YAMLParseError ? error.code : "unreadable"
        return singleIssue(source, [], `Invalid YAML${at}: ${reason}`)
      }
    }))

/**
 * Read and decode a limits file: YAML when its name ends in `.yaml`/`.yml`, JSON otherwise.
 *
 * @since 0.1.0
 * @category decoding
 */
export const load = (path: string): Effect.Effect<LimitsFile, InvalidConfig, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError(() => singleIssue(path, [], "Could not read the limits file"))
    )
    const document = yield* (isYaml(path) ? parseYamlText(text, path) : parseJson(text, path))
    return yield* decode(document, path)
  })

/**
 * The entries a file declares: the system default, then resources, then entities.
 *
 * @since 0.1.0
 * @category conversions
 */
export const entries = (file: LimitsFile): ReadonlyArray<Entry> => [
  ...(file.defaults === undefined ? [] : [{ kind: "system" as const, limits: file.defaults }]),
  ...Object.entries(file.resources ?? {}).map(([name, limits]) => ({ kind: "resource" as const, name, limits })),
  ...Object.entries(file.entities ?? {}).map(([name, settings]) => ({ kind: "entity" as const, name, settings }))
]
