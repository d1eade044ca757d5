/**
 * Effect Metrics of the governor, Prometheus text exposition, the `/metrics` endpoint and
 * request / attempt spans.
 *
 * @since 0.1.0
 */
export * from "./GovernorMetrics.js"
export * as Prometheus from "./prometheus.js"
export { prometheusText, PrometheusExpositionError } from "./prometheus.js"
export * as MetricsServer from "./MetricsServer.js"
export * as Tracing from "./Tracing.js"
