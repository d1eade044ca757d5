/**
 * A tiny `/metrics` HTTP endpoint for long-running workers, as a Layer on `@effect/platform`'s
 * `HttpServer` (Node implementation). It listens on loopback by default; expose it wider only on
 * purpose (`host: "0.0.0.0"`).
 *
 * @since 0.1.0
 */
import { HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { ServeError } from "@effect/platform/HttpServerError"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as Prometheus from "./prometheus.js"

/**
 * Where the endpoint listens (the real port when `port: 0` was asked).
 *
 * @since 0.1.0
 * @category tags
 */
export class MetricsServer extends Context.Tag("effect-governor/MetricsServer")<MetricsServer, {
  readonly host: string
  readonly port: number
  /** e.g. `http://127.0.0.1:9464/metrics` */
  readonly url: string
}>() {}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 */
export interface MetricsServerOptions {
  /** 0 picks a free port (read it from the `MetricsServer` service). */
  readonly port: number
  /** Default `"127.0.0.1"`. */
  readonly host?: string | undefined
  /** Default `"/metrics"`. */
  readonly path?: string | undefined
  readonly render?: Prometheus.RenderOptions | undefined
}

/**
 * The HTTP app: `GET|HEAD <path>` → the exposition; other paths 404, other methods 405; a
 * snapshot that cannot be rendered → 500 with the reason.
 *
 * @since 0.1.0
 */
export const app = (options: Pick<MetricsServerOptions, "path" | "render"> = {}) => {
  const path = options.path ?? "/metrics"
  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const pathname = new URL(request.url, "http://localhost").pathname
    if (pathname !== path) return HttpServerResponse.text("Not Found\n", { status: 404 })
    if (request.method !== "GET" && request.method !== "HEAD") {
      return HttpServerResponse.text("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD" } })
    }
    return yield* Prometheus.prometheusText(options.render).pipe(
      Effect.map((body) => HttpServerResponse.text(body, { contentType: Prometheus.contentType })),
      Effect.catchTag("PrometheusExpositionError", (e) => Effect.succeed(HttpServerResponse.text(`${e.message}\n`, { status: 500 })))
    )
  })
}

/**
 * Serves `/metrics` for as long as the layer lives.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Metrics } from "effect-governor"
 * declare const worker: Effect.Effect<void>
 * const main = worker.pipe(Effect.provide(Metrics.layerServer({ port: 9464 })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: MetricsServerOptions): Layer.Layer<MetricsServer, ServeError> => {
  const host = options.host ?? "127.0.0.1"
  const path = options.path ?? "/metrics"
  const address = Layer.effect(
    MetricsServer,
    HttpServer.addressWith((a) =>
      Effect.succeed(
        a._tag === "TcpAddress"
          ? { host, port: a.port, url: `http://${host.includes(":") ? `[${host}]` : host}:${a.port}${path}` }
          : { host, port: options.port, url: `unix:${a.path}${path}` }
      )
    )
  )
  return Layer.merge(HttpServer.serve(app({ path, render: options.render })), address).pipe(
    Layer.provide(NodeHttpServer.layer(() => createServer(), { port: options.port, host }))
  )
}
