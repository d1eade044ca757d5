/**
 * The metric updates of the request hot path: plain calls, no Effect built (the client's observing
 * steps call them per request). Internal: the public way to record is the Effect recorders of
 * `Metrics` (`recordRequest`, `recordRateLimited`, …), which go through this too.
 *
 * @since 0.1.0
 * @internal
 */
import { Array as Arr, MetricLabel } from "effect"
import { GovernorMetrics, type RequestOutcome, statusClass } from "./definitions.js"

// The registry caches a metric's hook by the identity of its label array, so every helper updates
// with label arrays kept per API (and extra labels): a fresh array per update (what `Metric.tagged`
// does, merging with the fiber's labels) means a key hash and a registry lookup each time.
const labelArrays = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/**
 * The label array of `api` (and `extra` labels), the same array for the same labels.
 *
 * @since 0.1.0
 * @internal
 */
export const labelsFor = (api: string, ...extra: ReadonlyArray<readonly [string, string]>): ReadonlyArray<MetricLabel.MetricLabel> => {
  const k = extra.length === 0 ? api : `${api}\u0000${extra.map(([key, value]) => `${key}=${value}`).join("\u0000")}`
  let labels = labelArrays.get(k)
  if (labels === undefined) {
    labels = [MetricLabel.make("api", api), ...extra.map(([key, value]) => MetricLabel.make(key, value))]
    labelArrays.set(k, labels)
  }
  return labels
}

/**
 * Metric updates of one API for the request hot path: plain calls, no Effect built. `labels` are the
 * calling fiber's own metric labels (`Effect.tagMetrics`, usually none), added as `Metric.update`
 * would. The label arrays are kept per API because the registry caches a metric's hook by the
 * identity of its label array: a fresh array per update means a key hash and a registry lookup.
 *
 * @since 0.1.0
 * @internal
 */
export interface ApiRecorder {
  readonly request: (
    outcome: RequestOutcome,
    status: number | undefined,
    seconds: number,
    labels: ReadonlyArray<MetricLabel.MetricLabel>
  ) => void
  readonly rateLimited: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void
  readonly limiterWait: (seconds: number, labels: ReadonlyArray<MetricLabel.MetricLabel>) => void
}

/**
 * The fiber's own metric labels added to `own`, as `Metric.update` would.
 *
 * @since 0.1.0
 * @internal
 */
export const withFiberLabels = (
  own: ReadonlyArray<MetricLabel.MetricLabel>,
  fiber: ReadonlyArray<MetricLabel.MetricLabel>
): ReadonlyArray<MetricLabel.MetricLabel> => fiber.length === 0 ? own : Arr.union(own, fiber)

const recorders = new Map<string, ApiRecorder>()

/**
 * The recorder of `api` (one per API name, kept for the life of the process like the metrics).
 *
 * @since 0.1.0
 * @internal
 */
export const recorderFor = (api: string): ApiRecorder => {
  const known = recorders.get(api)
  if (known !== undefined) return known
  const apiLabels = labelsFor(api)
  // Per request: a lookup in a small map of its own rather than a JSON key.
  const requestLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  const requestLabelsOf = (outcome: RequestOutcome, cls: string) => {
    const k = `${outcome}|${cls}`
    let labels = requestLabels.get(k)
    if (labels === undefined) {
      labels = labelsFor(api, ["outcome", outcome], ["status_class", cls])
      requestLabels.set(k, labels)
    }
    return labels
  }
  const recorder: ApiRecorder = {
    request: (outcome, status, secs, labels) => {
      GovernorMetrics.requests.unsafeUpdate(1, withFiberLabels(requestLabelsOf(outcome, statusClass(status)), labels))
      GovernorMetrics.requestDuration.unsafeUpdate(secs, withFiberLabels(apiLabels, labels))
    },
    rateLimited: (labels) => GovernorMetrics.rateLimited.unsafeUpdate(1, withFiberLabels(apiLabels, labels)),
    limiterWait: (secs, labels) => GovernorMetrics.limiterWait.unsafeUpdate(secs, withFiberLabels(apiLabels, labels))
  }
  recorders.set(api, recorder)
  return recorder
}
