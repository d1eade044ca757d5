/**
 * Prometheus text exposition format 0.0.4 for Effect metric snapshots.
 *
 * - names and label names are sanitised to `[a-zA-Z_:][a-zA-Z0-9_:]*` / `[a-zA-Z_][a-zA-Z0-9_]*`
 * - counters end in `_total`; frequencies become counters with a `key` label
 * - histograms: cumulative `_bucket{le="…"}` lines ending with `le="+Inf"` (equal to `_count`),
 *   then `_sum` and `_count`; summaries: `{quantile="…"}`, `_sum`, `_count`
 * - families sorted by name, series by labels: the output is deterministic
 *
 * Two metrics that would render to the same series (same name and labels, or a gauge named like a
 * counter's `_total`) cannot both be exposed: rendering fails with
 * {@link PrometheusExpositionError} naming them, rather than emitting an invalid page.
 *
 * @since 0.1.0
 */
import { Effect, Either, Metric, MetricKeyType, MetricState, Option, Schema } from "effect"
import type { MetricPair } from "effect"

/**
 * The snapshot cannot be rendered as a valid exposition.
 *
 * @since 0.1.0
 * @category errors
 */
export class PrometheusExpositionError extends Schema.TaggedError<PrometheusExpositionError>()(
  "PrometheusExpositionError",
  {
    /** The sample or family name in conflict. */
    name: Schema.String,
    reason: Schema.String
  }
) {
  override get message(): string {
    return `Cannot expose metric "${this.name}": ${this.reason}`
  }
}

/**
 * The content type of the exposition.
 *
 * @since 0.1.0
 */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * Options of {@link render} / {@link prometheusText}.
 *
 * @since 0.1.0
 */
export interface RenderOptions {
  /** Keep only metrics whose (sanitised) name starts with one of these prefixes. */
  readonly prefixes?: ReadonlyArray<string> | undefined
}

type Kind = "counter" | "gauge" | "histogram" | "summary"

interface Sample {
  readonly name: string
  readonly labels: ReadonlyArray<readonly [string, string]>
  readonly value: string
}

interface Series {
  readonly labelKey: string
  readonly samples: ReadonlyArray<Sample>
}

interface Family {
  readonly name: string
  readonly kind: Kind
  help: string
  readonly series: Array<Series>
  readonly source: string
}

/**
 * Sanitises a metric name: invalid characters become `_`, a leading digit gets a `_` prefix.
 *
 * @since 0.1.0
 */
export const sanitizeName = (name: string): string => {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return s.length === 0 ? "_" : /^[0-9]/.test(s) ? `_${s}` : s
}

/**
 * Sanitises a label name (no `:` allowed; names starting with `__` are reserved, so they get a
 * `x` prefix).
 *
 * @since 0.1.0
 */
export const sanitizeLabelName = (name: string): string => {
  let s = name.replace(/[^a-zA-Z0-9_]/g, "_")
  if (s.length === 0) s = "_"
  if (/^[0-9]/.test(s)) s = `_${s}`
  if (s.startsWith("__")) s = `x${s}`
  return s
}

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @since 0.1.0
 */
export const escapeLabelValue = (v: string): string =>
  v.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/**
 * Escapes HELP text: backslash and line feed.
 *
 * @since 0.1.0
 */
export const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/**
 * Formats a sample value as Prometheus expects (`+Inf`, `-Inf`, `NaN`, bigints exactly).
 *
 * @since 0.1.0
 */
export const formatValue = (n: number | bigint): string => {
  if (typeof n === "bigint") return n.toString()
  if (Number.isNaN(n)) return "NaN"
  if (n === Infinity) return "+Inf"
  if (n === -Infinity) return "-Inf"
  return String(n)
}

const renderLabels = (labels: ReadonlyArray<readonly [string, string]>): string =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Renders metric pairs (e.g. `Metric.unsafeSnapshot()`) as an exposition page, or explains why
 * it cannot.
 *
 * @since 0.1.0
 */
export const render = (
  pairs: Iterable<MetricPair.MetricPair.Untyped>,
  options: RenderOptions = {}
): Either.Either<string, PrometheusExpositionError> => {
  const families = new Map<string, Family>()
  const fail = (name: string, reason: string) => Either.left(new PrometheusExpositionError({ name, reason }))

  for (const pair of pairs) {
    const key = pair.metricKey
    const keyType = key.keyType as unknown
    let base = sanitizeName(key.name)
    let kind: Kind
    if (MetricKeyType.isCounterKey(keyType) || MetricKeyType.isFrequencyKey(keyType)) {
      kind = "counter"
      if (!base.endsWith("_total")) base = `${base}_total`
    } else if (MetricKeyType.isGaugeKey(keyType)) kind = "gauge"
    else if (MetricKeyType.isHistogramKey(keyType)) kind = "histogram"
    else if (MetricKeyType.isSummaryKey(keyType)) kind = "summary"
    else return fail(key.name, "unknown metric type")
    if (options.prefixes !== undefined && !options.prefixes.some((p) => base.startsWith(p))) continue

    const labels: Array<readonly [string, string]> = key.tags.map((t) => [sanitizeLabelName(t.key), t.value] as const)
    labels.sort((a, b) => compareStrings(a[0], b[0]))
    for (let i = 1; i < labels.length; i++) {
      if (labels[i]![0] === labels[i - 1]![0]) return fail(base, `label "${labels[i]![0]}" given twice`)
    }
    const reserved = kind === "histogram" ? "le" : kind === "summary" ? "quantile" : undefined
    if (reserved !== undefined && labels.some(([k]) => k === reserved)) {
      return fail(base, `label "${reserved}" is reserved for ${kind}s`)
    }

    let family = families.get(base)
    if (family === undefined) {
      family = { name: base, kind, help: "", series: [], source: key.name }
      families.set(base, family)
    } else if (family.kind !== kind) {
      return fail(base, `exposed both as ${family.kind} ("${family.source}") and ${kind} ("${key.name}")`)
    }
    const description = Option.getOrUndefined(key.description)
    if (family.help === "" && description !== undefined) family.help = description

    const state = pair.metricState as unknown
    const samples: Array<Sample> = []
    if (MetricState.isCounterState(state) || MetricState.isGaugeState(state)) {
      const value = MetricState.isCounterState(state) ? state.count : state.value
      samples.push({ name: base, labels, value: formatValue(value) })
    } else if (MetricState.isFrequencyState(state)) {
      if (labels.some(([k]) => k === "key")) return fail(base, `label "key" is reserved for frequency words`)
      const words = Array.from(state.occurrences.entries()).sort((a, b) => compareStrings(a[0], b[0]))
      for (const [word, count] of words) {
        const wl = [...labels, ["key", word] as const].sort((a, b) => compareStrings(a[0], b[0]))
        family.series.push({ labelKey: renderLabels(wl), samples: [{ name: base, labels: wl, value: formatValue(count) }] })
      }
      continue
    } else if (MetricState.isHistogramState(state)) {
      let last = Number.NEGATIVE_INFINITY
      for (const [bound, cumulative] of state.buckets) {
        if (bound === Infinity) continue
        if (!(bound > last)) return fail(base, "histogram boundaries are not increasing")
        last = bound
        samples.push({ name: `${base}_bucket`, labels: [...labels, ["le", formatValue(bound)]], value: formatValue(cumulative) })
      }
      samples.push({ name: `${base}_bucket`, labels: [...labels, ["le", "+Inf"]], value: formatValue(state.count) })
      samples.push({ name: `${base}_sum`, labels, value: formatValue(state.sum) })
      samples.push({ name: `${base}_count`, labels, value: formatValue(state.count) })
    } else if (MetricState.isSummaryState(state)) {
      for (const [q, v] of state.quantiles) {
        samples.push({
          name: base,
          labels: [...labels, ["quantile", formatValue(q)]],
          value: formatValue(Option.getOrElse(v, () => Number.NaN))
        })
      }
      samples.push({ name: `${base}_sum`, labels, value: formatValue(state.sum) })
      samples.push({ name: `${base}_count`, labels, value: formatValue(state.count) })
    } else {
      return fail(base, "unknown metric state")
    }
    family.series.push({ labelKey: renderLabels(labels), samples })
  }

  // Every sample name must belong to exactly one family, every series only once.
  const owner = new Map<string, string>()
  const sorted = Array.from(families.values()).sort((a, b) => compareStrings(a.name, b.name))
  for (const family of sorted) {
    const names = new Set<string>()
    for (const s of family.series) for (const sample of s.samples) names.add(sample.name)
    for (const n of names) {
      const other = owner.get(n)
      if (other !== undefined) return fail(n, `sample name produced by both "${other}" and "${family.name}"`)
      owner.set(n, family.name)
    }
    family.series.sort((a, b) => compareStrings(a.labelKey, b.labelKey))
    for (let i = 1; i < family.series.length; i++) {
      if (family.series[i]!.labelKey === family.series[i - 1]!.labelKey) {
        return fail(family.name, `series ${family.series[i]!.labelKey || "{}"} registered twice`)
      }
    }
  }

  const lines: Array<string> = []
  for (const family of sorted) {
    if (family.help !== "") lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.kind}`)
    for (const s of family.series) {
      for (const sample of s.samples) lines.push(`${sample.name}${renderLabels(sample.labels)} ${sample.value}`)
    }
  }
  return Either.right(lines.length === 0 ? "" : lines.join("\n") + "\n")
}

/**
 * Renders the current global metric snapshot.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-governor"
 * const page = yield* Metrics.prometheusText({ prefixes: ["governor_"] })
 * ```
 *
 * @since 0.1.0
 */
export const prometheusText = (options: RenderOptions = {}): Effect.Effect<string, PrometheusExpositionError> =>
  Effect.flatMap(Metric.snapshot, (pairs) => render(pairs, options))
