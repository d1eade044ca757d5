/**
 * Redaction rules, the redacting `Logger` layer and the client's request / response log lines.
 *
 * @since 0.1.0
 */
export * from "./redact.js"
export * as KnownSecrets from "./KnownSecrets.js"
export * as Redaction from "./Redaction.js"
export * as RedactingLogger from "./RedactingLogger.js"
export * as RequestLog from "./RequestLog.js"
