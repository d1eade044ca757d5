/**
 * Tagged errors of the config module. `InvalidConfig` and the translation of Schema `ParseError`s into
 * it live in `internal/configError.ts` (the limiter's `Limit` constructors fail with it too, and the
 * config decodes limits: the config folder would otherwise import the limiter and the reverse).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export {
  ConfigIssue,
  formatPath,
  fromParseError,
  InvalidConfig,
  invalidConfig,
  issuesFromParseError,
  type PathSegment,
  singleIssue
} from "../internal/configError.js"

/**
 * No config of that name is known. `known` lists the names that are.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownApiConfig extends Schema.TaggedError<UnknownApiConfig>()("UnknownApiConfig", {
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `Unknown API config "${this.name}"; known: ${this.known.length === 0 ? "(none)" : this.known.join(", ")}`
  }
}

/**
 * `register(name, config)` was called for a name that is already registered, without `replace: true`.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateApiConfig extends Schema.TaggedError<DuplicateApiConfig>()("DuplicateApiConfig", {
  name: Schema.String
}) {
  override get message(): string {
    return `An API config named "${this.name}" is already registered; pass { replace: true } to replace it`
  }
}
