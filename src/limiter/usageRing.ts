/**
 * Usage counters: what was consumed per interval, kept as a bounded ring. Interval `i` (epoch ms
 * `[i * intervalMs, (i + 1) * intervalMs)`) of a label is counted in the field `"<i>|<label>"` (one
 * increment per admission: `HINCRBYFLOAT` on Redis); the first count of an interval drops the fields
 * of intervals that fell out of the ring, so a ring holds at most `slots` intervals per label (plus
 * the one being started). The memory store and the Redis script keep the same fields, so both are
 * read by {@link samples}. Pure.
 *
 * @since 0.1.0
 * @internal
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface UsageSettings {
  readonly intervalMs: number
  readonly slots: number
}

/**
 * What was consumed in one interval under one label.
 *
 * @since 0.1.0
 * @category models
 */
export interface UsageSample {
  /** Epoch ms the interval starts. */
  readonly start: number
  readonly label: string
  readonly amount: number
}

/** The interval index of a counter field, or `undefined` for another field (`iv`, `n`). */
const indexOf = (field: string): number | undefined => {
  const bar = field.indexOf("|")
  const index = bar > 0 ? Number(field.slice(0, bar)) : NaN
  return Number.isSafeInteger(index) ? index : undefined
}

/**
 * Count `amount` under `label` at `now` in a ring held as a map of field texts.
 *
 * @since 0.1.0
 * @category ring
 */
export const record = (ring: Map<string, string>, settings: UsageSettings, now: number, label: string, amount: number): void => {
  const index = Math.floor(now / settings.intervalMs)
  const field = `${index}|${label}`
  const old = ring.get(field)
  if (old !== undefined) {
    ring.set(field, String(Number(old) + amount))
    return
  }
  for (const f of ring.keys()) {
    const i = indexOf(f)
    if (i !== undefined && i <= index - settings.slots) ring.delete(f)
  }
  ring.set(field, String(amount))
}

/**
 * The samples of the last `windowMs` (whole intervals, the current one included, at most `slots`),
 * oldest first; fields that are not counters are left out.
 *
 * @since 0.1.0
 * @category ring
 */
export const samples = (
  entries: Iterable<readonly [string, string]>,
  settings: UsageSettings,
  now: number,
  windowMs: number
): Array<UsageSample> => {
  const current = Math.floor(now / settings.intervalMs)
  const span = Math.min(settings.slots, Math.max(1, Math.ceil(windowMs / settings.intervalMs)))
  const out: Array<UsageSample> = []
  for (const [field, text] of entries) {
    const index = indexOf(field)
    const amount = Number(text)
    if (index === undefined || index > current || index <= current - span || !Number.isFinite(amount)) continue
    out.push({ start: index * settings.intervalMs, label: field.slice(field.indexOf("|") + 1), amount })
  }
  return out.sort((a, b) => a.start - b.start || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
}

/**
 * The interval and slots a ring was written with (the Redis script records them as the fields `iv` and
 * `n`), else `fallback`.
 *
 * @since 0.1.0
 * @category ring
 */
export const settingsOf = (entries: Iterable<readonly [string, string]>, fallback: UsageSettings): UsageSettings => {
  let intervalMs = fallback.intervalMs
  let slots = fallback.slots
  for (const [field, text] of entries) {
    const n = Number(text)
    if (field === "iv" && n > 0) intervalMs = n
    else if (field === "n" && Number.isSafeInteger(n) && n > 0) slots = n
  }
  return { intervalMs, slots }
}
