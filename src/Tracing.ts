/**
 * Tracing: the `governor.request` span per request and a client span per attempt, with the
 * OpenTelemetry HTTP attributes (URLs redacted, no headers), built only when a real tracer is
 * installed.
 *
 * @since 0.1.0
 */
export * from "./metrics/Tracing.js"
