/**
 * The redacting logger: replaces Effect's logger with one that redacts before formatting (logfmt,
 * JSON or pretty), and the client's request / response log lines (`logRequest`, `logResponse`,
 * `logCacheHit`).
 *
 * @since 0.1.0
 */
export * from "./logging/RedactingLogger.js"
export {
  type BreakerStateLabel,
  type CacheHitInfo,
  type CacheLogLabel,
  logCacheHit,
  logRequest,
  logResponse,
  type RequestInfo,
  type ResponseInfo
} from "./logging/RequestLog.js"
