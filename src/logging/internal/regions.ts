/**
 * Regions of a string to hide, and their replacement: known secrets and pattern matches are
 * found on the original text, overlapping regions merged and each masked once.
 *
 * @since 0.1.0
 * @internal
 */
import { containsKnown, type Ctx, maskWhole } from "./context.js"
import { isMask, maskWith, REDACTED } from "./mask.js"

export interface Region {
  readonly start: number
  readonly end: number
  /** The value the mask is computed from (a decoded query value, the original of an encoded secret…). */
  readonly source: string
  readonly known: boolean
}

const findKnown = (ctx: Ctx, text: string, out: Array<Region>): void => {
  for (const [form, original] of ctx.forms) {
    let from = 0
    for (;;) {
      const at = text.indexOf(form, from)
      if (at < 0) break
      out.push({ start: at, end: at + form.length, source: original, known: true })
      from = at + 1
    }
  }
}

const findPatterns = (ctx: Ctx, text: string, out: Array<Region>): void => {
  for (const pattern of ctx.compiled.patterns) {
    pattern.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = pattern.exec(text)) !== null) {
      if (m[0].length === 0) {
        pattern.lastIndex++
        continue
      }
      const span = m.indices?.groups?.["secret"] ?? m.indices?.[0]
      if (span !== undefined && span[1] > span[0] && !isMask(text.slice(span[0], span[1]))) {
        out.push({ start: span[0], end: span[1], source: text.slice(span[0], span[1]), known: false })
      }
    }
  }
}

/**
 * Replaces every region (plus known secrets and pattern matches found on `text`) by its mask.
 * Overlapping regions are merged and masked once.
 */
export const applyRegions = (ctx: Ctx, text: string, structural: Array<Region>): string => {
  if (text.length === 0) return text
  const regions = structural.slice()
  findKnown(ctx, text, regions)
  findPatterns(ctx, text, regions)
  if (regions.length === 0) return text
  regions.sort((a, b) => a.start - b.start || b.end - a.end)
  let out = ""
  let cursor = 0
  let i = 0
  while (i < regions.length) {
    const first = regions[i]!
    let end = first.end
    let j = i + 1
    let anyKnown = first.known
    while (j < regions.length && regions[j]!.start < end) {
      end = Math.max(end, regions[j]!.end)
      anyKnown = anyKnown || regions[j]!.known
      j++
    }
    const single = j === i + 1 || regions.slice(i, j).every((r) => r.start === first.start && r.end === first.end)
    out += text.slice(cursor, first.start)
    if (single) {
      // Equal spans (a secret that is also a pattern match): prefer the known secret's mask.
      const known = regions.slice(i, j).find((r) => r.known)
      out += known !== undefined ? maskWith(known.source, ctx.mask, ctx.compiled.salt) : maskWhole(ctx, first.source)
    } else {
      const merged = text.slice(first.start, end)
      out += ctx.mask === "partial" && (anyKnown || containsKnown(ctx, merged))
        ? REDACTED
        : maskWhole(ctx, merged)
    }
    cursor = end
    i = j
  }
  return out + text.slice(cursor)
}
