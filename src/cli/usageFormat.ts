/**
 * Text of `limits usage` and `limits capacity`: a usage table, a small terminal chart per resource and
 * limit, and capacity per level (pure).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { Capacity, Usage } from "../tenants/models.js"
import { table } from "./format.js"

const BARS = " ▁▂▃▄▅▆▇█"

/** `2024-05-01 10:00` (UTC; seconds when the interval is shorter than a minute). */
const stamp = (ms: number, intervalMs: number): string => {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, intervalMs < 60_000 ? 19 : 16)}`
}

const span = (ms: number): string =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
    ? `${ms / 3_600_000}h`
    : ms % 60_000 === 0
    ? `${ms / 60_000}m`
    : ms % 1000 === 0
    ? `${ms / 1000}s`
    : `${ms}ms`

const amount = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2))

/**
 * One character per column (at most `width`, intervals summed into columns when there are more), the
 * height of each relative to the largest; an empty column is a space.
 *
 * @since 0.1.0
 * @category formatting
 */
export const sparkline = (values: ReadonlyArray<number>, width = 60): string => {
  const per = Math.max(1, Math.ceil(values.length / width))
  const columns: Array<number> = []
  for (let i = 0; i < values.length; i += per) columns.push(values.slice(i, i + per).reduce((a, b) => a + b, 0))
  const max = Math.max(0, ...columns)
  return columns.map((v) => (v <= 0 || max === 0 ? BARS[0] : BARS[Math.max(1, Math.round((v / max) * (BARS.length - 1)))])).join("")
}

/**
 * The usage table (one row per interval, resource and limit with consumption), then one chart per
 * resource and limit over the whole window.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderUsage = (usage: Usage): string => {
  if (usage.intervalMs === 0) return `no usage counters are kept for ${usage.entity}`
  const head = `usage of ${usage.entity}: ${stamp(usage.from, usage.intervalMs)} to ${stamp(usage.to, usage.intervalMs)} UTC, per ${span(usage.intervalMs)}`
  if (usage.rows.length === 0) return `${head}\n\nnothing consumed`
  const rows = usage.rows.map((r) => [stamp(r.start, usage.intervalMs), r.resource, r.limit, amount(r.amount)])
  const intervals = Math.round((usage.to - usage.from) / usage.intervalMs)
  const series = new Map<string, Array<number>>()
  for (const r of usage.rows) {
    const key = `${r.resource} ${r.limit}`
    const values = series.get(key) ?? new Array<number>(intervals).fill(0)
    values[Math.round((r.start - usage.from) / usage.intervalMs)]! += r.amount
    series.set(key, values)
  }
  const width = Math.max(...[...series.keys()].map((k) => k.length))
  const charts = [...series].map(([key, values]) => {
    const total = values.reduce((a, b) => a + b, 0)
    return `${key.padEnd(width)}  |${sparkline(values)}|  max ${amount(Math.max(...values))} per ${span(usage.intervalMs)}, total ${amount(total)}`
  })
  return `${head}\n\n${table(["INTERVAL (UTC)", "RESOURCE", "LIMIT", "AMOUNT"], rows)}\n\n${charts.join("\n")}`
}

/**
 * Capacity per level and limit: tokens now, capacity, when the bucket is full.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderCapacity = (capacity: Capacity): string => {
  const rows = capacity.levels.flatMap((level) =>
    level.limits.map((l) => [
      level.entity,
      level.source,
      l.name,
      amount(Math.round(l.tokens * 100) / 100),
      amount(l.capacity),
      l.fullAt <= capacity.at ? "full" : `in ${Duration.format(Duration.millis(Math.ceil(l.fullAt - capacity.at)))}`,
      level.cooldownUntil === null ? "" : `paused ${Duration.format(Duration.millis(Math.ceil(level.cooldownUntil - capacity.at)))}`
    ])
  )
  return `capacity of ${capacity.entity} calling ${capacity.resource}\n\n${
    table(["LEVEL", "FROM", "LIMIT", "TOKENS", "CAPACITY", "FULL", ""], rows)
  }`
}
