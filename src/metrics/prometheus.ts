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

type Labels = ReadonlyArray<readonly [string, string]>
type Rendered<A> = Either.Either<A, PrometheusExpositionError>

const fail = (name: string, reason: string) => Either.left(new PrometheusExpositionError({ name, reason }))

/** The exposed family name and kind of a metric key: counters and frequencies end in `_total`. */
const nameOf = (key: MetricPair.MetricPair.Untyped["metricKey"]): Rendered<{ base: string; kind: Kind }> => {
  const keyType = key.keyType as unknown
  const base = sanitizeName(key.name)
  if (MetricKeyType.isCounterKey(keyType) || MetricKeyType.isFrequencyKey(keyType)) {
    return Either.right({ base: base.endsWith("_total") ? base : `${base}_total`, kind: "counter" })
  }
  if (MetricKeyType.isGaugeKey(keyType)) return Either.right({ base, kind: "gauge" })
  if (MetricKeyType.isHistogramKey(keyType)) return Either.right({ base, kind: "histogram" })
  if (MetricKeyType.isSummaryKey(keyType)) return Either.right({ base, kind: "summary" })
  return fail(key.name, "unknown metric type")
}

/** Sorted, sanitised labels; none twice, none reserved for the kind's own samples. */
const labelsOf = (tags: ReadonlyArray<{ key: string; value: string }>, base: string, kind: Kind): Rendered<Labels> => {
  const labels: Array<readonly [string, string]> = tags.map((t) => [sanitizeLabelName(t.key), t.value] as const)
  labels.sort((a, b) => compareStrings(a[0], b[0]))
  for (let i = 1; i < labels.length; i++) {
    if (labels[i]![0] === labels[i - 1]![0]) return fail(base, `label "${labels[i]![0]}" given twice`)
  }
  const reserved = kind === "histogram" ? "le" : kind === "summary" ? "quantile" : undefined
  if (reserved !== undefined && labels.some(([k]) => k === reserved)) {
    return fail(base, `label "${reserved}" is reserved for ${kind}s`)
  }
  return Either.right(labels)
}

/** The family a key joins: one name is exposed as one kind only. */
const familyFor = (
  families: Map<string, Family>,
  base: string,
  kind: Kind,
  key: MetricPair.MetricPair.Untyped["metricKey"]
): Rendered<Family> => {
  let family = families.get(base)
  if (family === undefined) {
    family = { name: base, kind, help: "", series: [], source: key.name }
    families.set(base, family)
  } else if (family.kind !== kind) {
    return fail(base, `exposed both as ${family.kind} ("${family.source}") and ${kind} ("${key.name}")`)
  }
  const description = Option.getOrUndefined(key.description)
  if (family.help === "" && description !== undefined) family.help = description
  return Either.right(family)
}

const histogramSamples = (base: string, labels: Labels, state: MetricState.MetricState.Histogram): Rendered<Array<Sample>> => {
  const samples: Array<Sample> = []
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
  return Either.right(samples)
}

const summarySamples = (base: string, labels: Labels, state: MetricState.MetricState.Summary): Array<Sample> => [
  ...state.quantiles.map(([q, v]) => ({
    name: base,
    labels: [...labels, ["quantile", formatValue(q)] as const],
    value: formatValue(Option.getOrElse(v, () => Number.NaN))
  })),
  { name: `${base}_sum`, labels, value: formatValue(state.sum) },
  { name: `${base}_count`, labels, value: formatValue(state.count) }
]

/** The series of one metric state: one, or one per word of a frequency (its `key` label). */
const seriesOf = (base: string, labels: Labels, state: unknown): Rendered<Array<Series>> => {
  const one = (samples: Array<Sample>): Rendered<Array<Series>> => Either.right([{ labelKey: renderLabels(labels), samples }])
  if (MetricState.isCounterState(state)) return one([{ name: base, labels, value: formatValue(state.count) }])
  if (MetricState.isGaugeState(state)) return one([{ name: base, labels, value: formatValue(state.value) }])
  if (MetricState.isFrequencyState(state)) {
    if (labels.some(([k]) => k === "key")) return fail(base, `label "key" is reserved for frequency words`)
    const words = Array.from(state.occurrences.entries()).sort((a, b) => compareStrings(a[0], b[0]))
    return Either.right(words.map(([word, count]) => {
      const wl = [...labels, ["key", word] as const].sort((a, b) => compareStrings(a[0], b[0]))
      return { labelKey: renderLabels(wl), samples: [{ name: base, labels: wl, value: formatValue(count) }] }
    }))
  }
  if (MetricState.isHistogramState(state)) return Either.flatMap(histogramSamples(base, labels, state), one)
  if (MetricState.isSummaryState(state)) return one(summarySamples(base, labels, state))
  return fail(base, "unknown metric state")
}

/** Every sample name must belong to exactly one family, every series only once (sorts each family's series). */
const checkUnique = (sorted: ReadonlyArray<Family>): Rendered<void> => {
  const owner = new Map<string, string>()
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
  return Either.void
}

const exposition = (sorted: ReadonlyArray<Family>): string => {
  const lines: Array<string> = []
  for (const family of sorted) {
    if (family.help !== "") lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.kind}`)
    for (const s of family.series) {
      for (const sample of s.samples) lines.push(`${sample.name}${renderLabels(sample.labels)} ${sample.value}`)
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n"
}

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
  for (const pair of pairs) {
    const named = nameOf(pair.metricKey)
    if (Either.isLeft(named)) return Either.left(named.left)
    const { base, kind } = named.right
    if (options.prefixes !== undefined && !options.prefixes.some((p) => base.startsWith(p))) continue
    const labels = labelsOf(pair.metricKey.tags, base, kind)
    if (Either.isLeft(labels)) return Either.left(labels.left)
    const family = familyFor(families, base, kind, pair.metricKey)
    if (Either.isLeft(family)) return Either.left(family.left)
    const series = seriesOf(base, labels.right, pair.metricState)
    if (Either.isLeft(series)) return Either.left(series.left)
    for (const one of series.right) family.right.series.push(one) // a spread overflows the stack at ~200k words
  }
  const sorted = Array.from(families.values()).sort((a, b) => compareStrings(a.name, b.name))
  const unique = checkUnique(sorted)
  return Either.isLeft(unique) ? Either.left(unique.left) : Either.right(exposition(sorted))
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
