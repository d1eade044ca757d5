/**
 * Per-API configuration: the `ApiConfig` schema (decode, encode, `make`, the `CurrentApiConfig`
 * context), loading from JSON files and the environment (`loadFile`, `fromEnv`, `tokenFromEnv`), the
 * configuration reference generated from the schema (`referenceMarkdown`), and the error every
 * config, limit and limits-file decoder fails with, naming the source and the field.
 *
 * @since 0.1.0
 */
export * from "./config/ApiConfig.js"
export { ConfigIssue, formatPath, InvalidConfig, type PathSegment } from "./config/errors.js"
export {
  authHeader,
  decodeJson,
  defaultTokenVariable,
  type EnvOptions,
  type EnvVariable,
  envVariables,
  fromEnv,
  loadFile,
  tokenFromEnv
} from "./config/load.js"
export { markdown as referenceMarkdown, markdownTable as referenceTable } from "./config/reference.js"
