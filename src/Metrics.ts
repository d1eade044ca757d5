/**
 * Metrics: the governor's Effect `Metric`s (tagged by `api`) and their recorders, their Prometheus
 * text exposition (`prometheusText`) and a `/metrics` endpoint for workers (`layerServer`, whose
 * address is the `MetricsServer` service).
 *
 * @since 0.1.0
 */
export * from "./metrics/GovernorMetrics.js"
export { app as serverApp, layer as layerServer, MetricsServer, type MetricsServerOptions } from "./metrics/MetricsServer.js"
export {
  contentType as prometheusContentType,
  PrometheusExpositionError,
  prometheusText,
  type RenderOptions as PrometheusOptions
} from "./metrics/prometheus.js"
