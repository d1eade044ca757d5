/**
 * Counting recurring events while reporting them at most once per interval: the first event is
 * reported at once, later ones are counted and reported (with the count since the last report) by
 * the first event at least `intervalMs` after that report. Pure state transitions.
 *
 * @since 0.1.0
 * @internal
 */

/**
 * @since 0.1.0
 * @internal
 */
export interface ReportThrottle {
  /** When the last report was made (`-Infinity`: never). */
  readonly reportedAt: number
  /** Events since that report, not reported yet. */
  readonly pending: number
}

/**
 * Nothing reported yet.
 *
 * @since 0.1.0
 * @internal
 */
export const initialThrottle: ReportThrottle = { reportedAt: -Infinity, pending: 0 }

/**
 * One event at `now`: the next state, and the number of events to report now (those since the last
 * report, this one included) or `undefined` when the interval since the last report has not elapsed.
 *
 * @since 0.1.0
 * @internal
 */
export const noteEvent = (
  state: ReportThrottle,
  now: number,
  intervalMs: number
): { readonly state: ReportThrottle; readonly report: number | undefined } => {
  const pending = state.pending + 1
  return now - state.reportedAt >= intervalMs
    ? { state: { reportedAt: now, pending: 0 }, report: pending }
    : { state: { reportedAt: state.reportedAt, pending }, report: undefined }
}
