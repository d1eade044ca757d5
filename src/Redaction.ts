/**
 * Redaction: the `Redaction` service (the rules and mask in effect, read by the logger, the client and
 * tracing), redactors built from rules (`makeRedactor`), and the secrets known to every redactor
 * while they are registered (`registerKnownSecret`; a client registers its token).
 *
 * @since 0.1.0
 */
export * from "./logging/Redaction.js"
export { register as registerKnownSecret } from "./logging/KnownSecrets.js"
export {
  defaultRedactor,
  defaultRules,
  type HeadersInput,
  makeRedactor,
  REDACTED,
  type RedactedHeaders,
  type RedactionRules,
  type Redactor,
  type RedactorOptions
} from "./logging/redact.js"
