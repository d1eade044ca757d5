/**
 * Plain-text formatting for terminal output (pure).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { Limit } from "../limiter/Limit.js"

/**
 * A left-aligned table with a header row and a rule under it; columns are as wide as their widest cell.
 *
 * @since 0.1.0
 * @category formatting
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/**
 * Wrap `text` at word boundaries to lines of at most `width` characters (longer words stay whole),
 * each prefixed by `indent`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const wrap = (text: string, width: number, indent = ""): string => {
  const lines: Array<string> = []
  let current = ""
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (current !== "" && indent.length + current.length + 1 + word.length > width) {
      lines.push(indent + current)
      current = word
    } else {
      current = current === "" ? word : `${current} ${word}`
    }
  }
  if (current !== "") lines.push(indent + current)
  return lines.join("\n")
}

/**
 * A rate for people: `3/s`, `0.83/s`, `12.5/s`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const rate = (perSecond: number): string => {
  const rounded = perSecond >= 100 ? Math.round(perSecond) : Number(perSecond.toPrecision(3))
  return `${rounded}/s`
}

/**
 * A limit for people: `requests 3/s burst 5`, `primary 25 per 18s (1.39/s) burst 100`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const describeLimit = (limit: Limit): string => {
  const periodMs = Duration.toMillis(limit.refillPeriod)
  const per = periodMs === 1000
    ? `${limit.refillAmount}/s`
    : `${limit.refillAmount} per ${Duration.format(limit.refillPeriod)} (${rate(limit.ratePerSecond)})`
  return `${limit.name} ${per} burst ${limit.capacity}`
}
