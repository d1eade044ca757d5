/**
 * The redacting logger: replaces Effect's logger with one that redacts before formatting (logfmt,
 * JSON or pretty). The client's request / response lines go through it, written by its steps
 * (internal: `logging/RequestLog.ts`).
 *
 * @since 0.1.0
 */
export * from "./logging/RedactingLogger.js"
