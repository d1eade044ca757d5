/**
 * Usage counters: what was consumed per interval, kept as a bounded ring. Interval `i` (epoch ms
 * `[i * intervalMs, (i + 1) * intervalMs)`) of a label is counted in the field `"<i % slots>|<label>"`
 * as the text `"<i>:<amount>"`; a write that finds an older interval in its field starts it over. So a
 * ring holds at most `slots` intervals per label, and reading filters out what the ring overwrote or
 * what is older than the window. The memory store and the Redis script keep the same fields, so both
 * are read by {@link samples}. Pure.
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

/**
 * The field and interval index of `label` at `now`.
 *
 * @since 0.1.0
 * @category ring
 */
export const slotOf = (settings: UsageSettings, now: number, label: string): { readonly field: string; readonly index: number } => {
  const index = Math.floor(now / settings.intervalMs)
  return { field: `${index % settings.slots}|${label}`, index }
}

/**
 * The text stored for `amount` in interval `index`.
 *
 * @since 0.1.0
 * @category ring
 */
export const counterText = (index: number, amount: number): string => `${index}:${amount}`

const parse = (text: string): { readonly index: number; readonly amount: number } | undefined => {
  const colon = text.indexOf(":")
  const index = Number(text.slice(0, colon))
  const amount = Number(text.slice(colon + 1))
  return colon > 0 && Number.isSafeInteger(index) && Number.isFinite(amount) ? { index, amount } : undefined
}

/**
 * Count `amount` under `label` at `now` in a ring held as a map of field texts.
 *
 * @since 0.1.0
 * @category ring
 */
export const record = (ring: Map<string, string>, settings: UsageSettings, now: number, label: string, amount: number): void => {
  const { field, index } = slotOf(settings, now, label)
  const old = ring.get(field)
  const before = old === undefined ? undefined : parse(old)
  ring.set(field, counterText(index, before !== undefined && before.index === index ? before.amount + amount : amount))
}

/**
 * The samples of the last `windowMs` (whole intervals, the current one included, at most `slots`),
 * oldest first; fields that are not counters, or that the ring overwrote, are left out.
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
    const bar = field.indexOf("|")
    const counter = parse(text)
    if (bar < 1 || counter === undefined) continue
    const { index, amount } = counter
    if (index > current || index <= current - span || String(index % settings.slots) !== field.slice(0, bar)) continue
    out.push({ start: index * settings.intervalMs, label: field.slice(bar + 1), amount })
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
