import { describe, expect, it } from "@effect/vitest"
import {
  Effect,
  Either,
  Metric,
  MetricBoundaries,
  MetricKey,
  MetricPair,
  MetricState,
  Option
} from "effect"
import fc from "fast-check"
import * as G from "../../src/metrics/GovernorMetrics.js"
import * as Prometheus from "../../src/metrics/prometheus.js"
import { parseExposition, sampleValue } from "./promParser.js"

const renderOk = (pairs: Iterable<MetricPair.MetricPair.Untyped>, options?: Prometheus.RenderOptions) => {
  const out = Prometheus.render(pairs, options)
  if (Either.isLeft(out)) throw out.left
  return out.right
}

describe("GovernorMetrics recorder", () => {
  it.effect("keeps the calling fiber's metric labels (Effect.tagMetrics) on the hot path", () =>
    Effect.gen(function*() {
      const api = "recorder-labels"
      yield* G.recordRequest(api, { outcome: "success", status: 200, duration: "5 millis" }).pipe(
        Effect.tagMetrics("tenant", "t1")
      )
      yield* G.recordRequest(api, { outcome: "success", status: 201, duration: "5 millis" })
      const text = yield* Prometheus.prometheusText({ prefixes: ["governor_requests_total"] })
      const fams = parseExposition(text)
      expect(sampleValue(fams, "governor_requests_total", { api, outcome: "success", status_class: "2xx", tenant: "t1" })).toBe(1)
      expect(sampleValue(fams, "governor_requests_total", { api, outcome: "success", status_class: "2xx" })).toBe(1)
    }))
})

describe("GovernorMetrics → prometheusText", () => {
  it.effect("records every metric and renders a page that parses back with the right values", () =>
    Effect.gen(function*() {
      const api = "prom-test-a"
      yield* G.recordRequest(api, { outcome: "success", status: 200, duration: "12 millis" })
      yield* G.recordRequest(api, { outcome: "success", status: 204, duration: "300 millis" })
      yield* G.recordRequest(api, { outcome: "rate_limited", status: 429, duration: "2 seconds" })
      yield* G.recordRequest(api, { outcome: "transport_error", duration: 5 })
      yield* G.recordRateLimited(api)
      yield* G.recordRateLimited(api)
      yield* G.recordRetry(api, "1 second")
      yield* G.recordRetry(api, "250 millis")
      yield* G.recordLimiterWait(api, 0)
      yield* G.recordLimiterWait(api, "40 millis")
      yield* G.setAdaptiveRate(api, 7.5)
      yield* G.setTokens(api, "per-second", 3)
      yield* G.setCooldown(api, true)
      yield* G.recordCacheHit(api)
      yield* G.recordCacheMiss(api)
      yield* G.recordCacheMiss(api)
      yield* G.recordCacheEvictions(api, 4)
      yield* G.setBreakerState(api, "open", { trip: true })
      yield* G.setBreakerState(api, "open", { trip: true })
      // another API must not bleed into this one
      yield* G.recordRequest("prom-test-other", { outcome: "success", status: 200, duration: 1 })

      const text = yield* Prometheus.prometheusText({ prefixes: ["governor_"] })
      const fams = parseExposition(text)
      const v = (name: string, labels: Record<string, string> = {}) => sampleValue(fams, name, { api, ...labels })

      expect(fams.get("governor_requests_total")?.type).toBe("counter")
      expect(fams.get("governor_requests_total")?.help).toBe("Logical requests by final outcome and status class")
      expect(v("governor_requests_total", { outcome: "success", status_class: "2xx" })).toBe(2)
      expect(v("governor_requests_total", { outcome: "rate_limited", status_class: "4xx" })).toBe(1)
      expect(v("governor_requests_total", { outcome: "transport_error", status_class: "none" })).toBe(1)
      expect(v("governor_rate_limited_total")).toBe(2)
      expect(v("governor_retries_total")).toBe(2)
      expect(v("governor_retry_delay_seconds_count")).toBe(2)
      expect(v("governor_retry_delay_seconds_sum")).toBeCloseTo(1.25)
      expect(v("governor_retry_delay_seconds_bucket", { le: "0.25" })).toBe(1)
      expect(v("governor_retry_delay_seconds_bucket", { le: "1" })).toBe(2)
      expect(fams.get("governor_request_duration_seconds")?.type).toBe("histogram")
      expect(v("governor_request_duration_seconds_count")).toBe(4)
      expect(v("governor_request_duration_seconds_sum")).toBeCloseTo(0.012 + 0.3 + 2 + 0.005)
      expect(v("governor_request_duration_seconds_bucket", { le: "0.005" })).toBe(1)
      expect(v("governor_request_duration_seconds_bucket", { le: "0.025" })).toBe(2)
      expect(v("governor_request_duration_seconds_bucket", { le: "0.5" })).toBe(3)
      expect(v("governor_request_duration_seconds_bucket", { le: "+Inf" })).toBe(4)
      expect(v("governor_limiter_wait_seconds_bucket", { le: "0" })).toBe(1)
      expect(v("governor_limiter_wait_seconds_bucket", { le: "0.05" })).toBe(2)
      expect(fams.get("governor_adaptive_rate")?.type).toBe("gauge")
      expect(v("governor_adaptive_rate")).toBe(7.5)
      expect(v("governor_limiter_tokens", { limit: "per-second" })).toBe(3)
      expect(v("governor_cooldown_active")).toBe(1)
      expect(v("governor_cache_hits_total")).toBe(1)
      expect(v("governor_cache_misses_total")).toBe(2)
      expect(v("governor_cache_evictions_total")).toBe(4)
      expect(v("governor_breaker_state")).toBe(2)
      expect(v("governor_breaker_trips_total")).toBe(2)
      expect(sampleValue(fams, "governor_requests_total", {
        api: "prom-test-other",
        outcome: "success",
        status_class: "2xx"
      })).toBe(1)

      yield* G.setCooldown(api, false)
      yield* G.setBreakerState(api, "half-open")
      const after = parseExposition(yield* Prometheus.prometheusText({ prefixes: ["governor_"] }))
      expect(sampleValue(after, "governor_cooldown_active", { api })).toBe(0)
      expect(sampleValue(after, "governor_breaker_state", { api })).toBe(1)
      expect(sampleValue(after, "governor_breaker_trips_total", { api })).toBe(2)
    }))

  it("statusClass and outcomeOfStatus", () => {
    expect([undefined, 100, 204, 302, 429, 503, 99, 600, 200.5].map(G.statusClass)).toEqual([
      "none",
      "1xx",
      "2xx",
      "3xx",
      "4xx",
      "5xx",
      "invalid",
      "invalid",
      "invalid"
    ])
    expect([200, 304, 404, 429, 500].map(G.outcomeOfStatus)).toEqual([
      "success",
      "success",
      "client_error",
      "rate_limited",
      "server_error"
    ])
  })
})

describe("render", () => {
  it("escapes label values and help, sanitises names, sorts families and series", () => {
    const key = MetricKey.counter("t1 weird-name", { description: "line1\nback\\slash" }).pipe(
      MetricKey.tagged("api", "a\"b\\c\nd"),
      MetricKey.tagged("0bad-label", "x")
    )
    const g1 = MetricKey.gauge("t1_g").pipe(MetricKey.tagged("z", "2"))
    const g2 = MetricKey.gauge("t1_g").pipe(MetricKey.tagged("z", "1"))
    const text = renderOk([
      MetricPair.unsafeMake(g1, MetricState.gauge(-Infinity)),
      MetricPair.unsafeMake(key, MetricState.counter(3)),
      MetricPair.unsafeMake(g2, MetricState.gauge(Number.NaN))
    ])
    expect(text).toBe(
      [
        "# TYPE t1_g gauge",
        "t1_g{z=\"1\"} NaN",
        "t1_g{z=\"2\"} -Inf",
        "# HELP t1_weird_name_total line1\\nback\\\\slash",
        "# TYPE t1_weird_name_total counter",
        "t1_weird_name_total{_0bad_label=\"x\",api=\"a\\\"b\\\\c\\nd\"} 3",
        ""
      ].join("\n")
    )
    const fams = parseExposition(text)
    expect(fams.get("t1_weird_name_total")?.help).toBe("line1\nback\\slash")
    expect(sampleValue(fams, "t1_weird_name_total", { api: "a\"b\\c\nd", _0bad_label: "x" })).toBe(3)
  })

  it("frequency, summary, bigint counters and histograms with custom boundaries", () => {
    const freq = MetricKey.frequency("t2_words")
    const summ = MetricKey.summary({ name: "t2_sum", maxAge: "1 minute", maxSize: 10, error: 0.01, quantiles: [0.5, 0.99] })
    const big = MetricKey.counter("t2_big", { bigint: true })
    const hist = MetricKey.histogram("t2_h", MetricBoundaries.fromIterable([1, 2]))
    const text = renderOk([
      MetricPair.unsafeMake(freq, MetricState.frequency(new Map([["b", 2], ["a", 1]]))),
      MetricPair.unsafeMake(summ, MetricState.summary({
        error: 0.01,
        quantiles: [[0.5, Option.some(3)], [0.99, Option.none()]],
        count: 4,
        min: 1,
        max: 9,
        sum: 20
      })),
      MetricPair.unsafeMake(big, MetricState.counter(BigInt("12345678901234567890"))),
      MetricPair.unsafeMake(hist, MetricState.histogram({ buckets: [[1, 1], [2, 3], [Infinity, 4]], count: 4, min: 0, max: 5, sum: 9 }))
    ])
    const fams = parseExposition(text)
    expect(sampleValue(fams, "t2_words_total", { key: "a" })).toBe(1)
    expect(sampleValue(fams, "t2_words_total", { key: "b" })).toBe(2)
    expect(fams.get("t2_sum")?.type).toBe("summary")
    expect(sampleValue(fams, "t2_sum", { quantile: "0.5" })).toBe(3)
    expect(Number.isNaN(sampleValue(fams, "t2_sum", { quantile: "0.99" }))).toBe(true)
    expect(sampleValue(fams, "t2_sum_count", {})).toBe(4)
    expect(text).toContain("t2_big_total 12345678901234567890\n")
    expect(text).toContain("t2_h_bucket{le=\"+Inf\"} 4\nt2_h_sum 9\nt2_h_count 4\n")
  })

  it("refuses snapshots that cannot be a valid page, naming the metric", () => {
    const conflicts: Array<[Array<MetricPair.MetricPair.Untyped>, string, string?]> = [
      [[
        MetricPair.unsafeMake(MetricKey.gauge("t3_x_total"), MetricState.gauge(1)),
        MetricPair.unsafeMake(MetricKey.counter("t3_x"), MetricState.counter(1))
      ], "t3_x_total"],
      [[
        MetricPair.unsafeMake(MetricKey.counter("t3_y", { description: "a" }), MetricState.counter(1)),
        MetricPair.unsafeMake(MetricKey.counter("t3_y", { description: "b" }), MetricState.counter(2))
      ], "t3_y_total"],
      [[
        MetricPair.unsafeMake(MetricKey.gauge("t3_h_count"), MetricState.gauge(1)),
        MetricPair.unsafeMake(
          MetricKey.histogram("t3_h", MetricBoundaries.fromIterable([1])),
          MetricState.histogram({ buckets: [[1, 0], [Infinity, 0]], count: 0, min: 0, max: 0, sum: 0 })
        )
      ], "t3_h_count"],
      [[
        MetricPair.unsafeMake(
          MetricKey.histogram("t3_le", MetricBoundaries.fromIterable([1])).pipe(MetricKey.tagged("le", "1")),
          MetricState.histogram({ buckets: [[1, 0], [Infinity, 0]], count: 0, min: 0, max: 0, sum: 0 })
        )
      ], "t3_le"],
      // two tags that sanitise to one label name
      [[MetricPair.unsafeMake(
        MetricKey.gauge("t3_dup").pipe(MetricKey.tagged("a-b", "1"), MetricKey.tagged("a_b", "2")),
        MetricState.gauge(1)
      )], "t3_dup", "given twice"],
      // one name exposed as two kinds
      [[
        MetricPair.unsafeMake(MetricKey.gauge("t3_k"), MetricState.gauge(1)),
        MetricPair.unsafeMake(MetricKey.summary({ name: "t3_k", maxAge: "1 minute", maxSize: 10, error: 0.01, quantiles: [0.5] }),
          MetricState.summary({ error: 0.01, quantiles: [], count: 0, min: 0, max: 0, sum: 0 }))
      ], "t3_k", "exposed both as gauge"],
      // a frequency's words take the `key` label
      [[MetricPair.unsafeMake(
        MetricKey.frequency("t3_f").pipe(MetricKey.tagged("key", "x")),
        MetricState.frequency(new Map([["w", 1]]))
      )], "t3_f_total"],
      [[MetricPair.unsafeMake(
        MetricKey.histogram("t3_b", MetricBoundaries.fromIterable([1, 2])),
        MetricState.histogram({ buckets: [[2, 0], [1, 0], [Infinity, 0]], count: 0, min: 0, max: 0, sum: 0 })
      )], "t3_b", "not increasing"]
    ]
    for (const [pairs, name, reason] of conflicts) {
      const out = Prometheus.render(pairs)
      expect(Either.isLeft(out)).toBe(true)
      if (Either.isLeft(out)) {
        expect(out.left._tag).toBe("PrometheusExpositionError")
        expect(out.left.name).toBe(name)
        if (reason !== undefined) expect(out.left.reason).toContain(reason)
      }
    }
  })

  it("any label values and counts round-trip through the parser (property)", () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.string({ unit: fc.constantFrom(..."ab\"\\\n\t é€😀{}=,#"), maxLength: 12 }), {
        minLength: 1,
        maxLength: 5
      }),
      fc.array(fc.oneof(fc.nat(), fc.double({ noNaN: true })), { minLength: 5, maxLength: 5 }),
      (apis, values) => {
        const pairs = apis.map((api, i) =>
          MetricPair.unsafeMake(MetricKey.gauge("t4_g").pipe(MetricKey.tagged("api", api)), MetricState.gauge(values[i]!))
        )
        const fams = parseExposition(renderOk(pairs))
        apis.forEach((api, i) => expect(sampleValue(fams, "t4_g", { api })).toBe(values[i]! === 0 ? 0 : values[i]!))
      }
    ))
  })

  it("real Effect histograms stay valid whatever is observed (property)", () => {
    let n = 0
    fc.assert(fc.property(fc.array(fc.double({ min: -10, max: 1000, noNaN: true }), { maxLength: 30 }), (xs) => {
      const name = `t5_${n++}_h`
      const h = Metric.histogram(name, MetricBoundaries.exponential({ start: 0.5, factor: 2, count: 8 }))
      // reading the metric registers it, so an empty histogram is exposed too
      Effect.runSync(Effect.zipRight(Metric.value(h), Effect.forEach(xs, (x) => Metric.update(h, x), { discard: true })))
      const fams = parseExposition(renderOk(Metric.unsafeSnapshot(), { prefixes: [name] }))
      expect(sampleValue(fams, `${name}_count`, {})).toBe(xs.length)
      expect(sampleValue(fams, `${name}_sum`, {})).toBeCloseTo(xs.reduce((a, b) => a + b, 0))
    }), { numRuns: 50 })
  })
})
