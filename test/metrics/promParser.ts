/**
 * A small, strict parser of the Prometheus text exposition format 0.0.4, for tests only.
 * It rejects anything our renderer must never produce: unknown comment lines, blank lines,
 * samples before their TYPE, a family split in two, duplicate series, malformed labels or
 * values, non-monotone histogram buckets, a missing or wrong `+Inf` bucket.
 */

export interface ParsedSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface ParsedFamily {
  readonly name: string
  type: string
  help: string | undefined
  readonly samples: Array<ParsedSample>
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/

const parseValue = (s: string, line: number): number => {
  if (!VALUE.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`)
  if (s === "NaN") return Number.NaN
  if (/Inf$/.test(s)) return s.startsWith("-") ? -Infinity : Infinity
  return Number(s)
}

const unescapeHelp = (s: string, line: number): string =>
  s.replace(/\\(.)?/g, (_, c: string | undefined) => {
    if (c === "\\") return "\\"
    if (c === "n") return "\n"
    throw new Error(`line ${line}: bad escape in HELP`)
  })

/** Parses `{a="x",b="y"}` starting at `i`; returns labels and the index after `}`. */
const parseLabels = (s: string, start: number, line: number): [Record<string, string>, number] => {
  const labels: Record<string, string> = {}
  let i = start + 1
  if (s[i] === "}") return [labels, i + 1]
  for (;;) {
    const eq = s.indexOf("=", i)
    if (eq < 0) throw new Error(`line ${line}: label without '='`)
    const name = s.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`)
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`)
    if (s[eq + 1] !== "\"") throw new Error(`line ${line}: label value not quoted`)
    let j = eq + 2
    let value = ""
    for (;;) {
      const c = s[j]
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`)
      if (c === "\"") break
      if (c === "\n") throw new Error(`line ${line}: raw newline in label value`)
      if (c === "\\") {
        const n = s[j + 1]
        if (n === "\\") value += "\\"
        else if (n === "\"") value += "\""
        else if (n === "n") value += "\n"
        else throw new Error(`line ${line}: bad escape \\${n}`)
        j += 2
        continue
      }
      value += c
      j++
    }
    labels[name] = value
    j++
    if (s[j] === ",") {
      i = j + 1
      continue
    }
    if (s[j] === "}") return [labels, j + 1]
    throw new Error(`line ${line}: expected ',' or '}' after label`)
  }
}

const seriesKey = (name: string, labels: Record<string, string>) =>
  name + JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))

export const parseExposition = (text: string): Map<string, ParsedFamily> => {
  const families = new Map<string, ParsedFamily>()
  if (text === "") return families
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline")
  const lines = text.slice(0, -1).split("\n")
  const closed = new Set<string>()
  const seen = new Set<string>()
  let current: ParsedFamily | undefined

  const enter = (name: string, line: number): ParsedFamily => {
    if (current?.name === name) return current
    if (current !== undefined) closed.add(current.name)
    if (closed.has(name)) throw new Error(`line ${line}: family ${name} is split`)
    let f = families.get(name)
    if (f === undefined) {
      f = { name, type: "", help: undefined, samples: [] }
      families.set(name, f)
    }
    current = f
    return f
  }

  lines.forEach((raw, idx) => {
    const line = idx + 1
    if (raw === "") throw new Error(`line ${line}: blank line`)
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(raw)
      if (m === null) throw new Error(`line ${line}: unexpected comment ${JSON.stringify(raw)}`)
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`)
      const f = enter(name, line)
      if (kind === "HELP") {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`)
        if (f.type !== "" || f.samples.length > 0) throw new Error(`line ${line}: HELP after TYPE/samples`)
        f.help = unescapeHelp(rest, line)
      } else {
        if (f.type !== "") throw new Error(`line ${line}: second TYPE for ${name}`)
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE after samples`)
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) {
          throw new Error(`line ${line}: bad type ${rest}`)
        }
        f.type = rest
      }
      return
    }
    const nameEnd = raw.search(/[{ ]/)
    if (nameEnd <= 0) throw new Error(`line ${line}: no sample name`)
    const name = raw.slice(0, nameEnd)
    if (!NAME.test(name)) throw new Error(`line ${line}: bad sample name ${name}`)
    let labels: Record<string, string> = {}
    let i = nameEnd
    if (raw[i] === "{") [labels, i] = parseLabels(raw, i, line)
    if (raw[i] !== " ") throw new Error(`line ${line}: expected a space before the value`)
    const parts = raw.slice(i + 1).split(" ")
    if (parts.length > 2 || (parts.length === 2 && !/^-?\d+$/.test(parts[1]!))) {
      throw new Error(`line ${line}: bad value/timestamp`)
    }
    const value = parseValue(parts[0]!, line)
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "")
    const f = families.get(base)
    if (f === undefined || f.type === "") throw new Error(`line ${line}: sample ${name} before its TYPE`)
    if (base !== name && f.type !== "histogram" && f.type !== "summary") {
      throw new Error(`line ${line}: ${name} in a ${f.type} family`)
    }
    enter(base, line)
    if (f.type === "counter" && !(name.endsWith("_total") && value >= 0)) {
      throw new Error(`line ${line}: counter ${name} must end in _total and be >= 0`)
    }
    const key = seriesKey(name, labels)
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`)
    seen.add(key)
    f.samples.push({ name, labels, value })
  })

  for (const f of families.values()) {
    if (f.type === "") throw new Error(`family ${f.name} has no TYPE`)
    if (f.type === "histogram") checkHistogram(f)
  }
  return families
}

const checkHistogram = (f: ParsedFamily) => {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)))
    const g = groups.get(key) ?? { buckets: [] }
    groups.set(key, g)
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`)
      g.buckets.push([parseValue(le, 0), s.value])
    } else if (s.name === `${f.name}_sum`) g.sum = s.value
    else if (s.name === `${f.name}_count`) g.count = s.value
    else throw new Error(`${f.name}: unexpected sample ${s.name}`)
  }
  for (const [key, g] of groups) {
    if (g.sum === undefined || g.count === undefined) throw new Error(`${f.name}${key}: missing _sum or _count`)
    if (g.buckets.length === 0) throw new Error(`${f.name}${key}: no buckets`)
    for (let i = 1; i < g.buckets.length; i++) {
      const [prevLe, prevCount] = g.buckets[i - 1]!
      const [le, count] = g.buckets[i]!
      if (!(le > prevLe)) throw new Error(`${f.name}${key}: le not increasing`)
      if (count < prevCount) throw new Error(`${f.name}${key}: bucket counts not cumulative`)
    }
    const last = g.buckets[g.buckets.length - 1]!
    if (last[0] !== Infinity) throw new Error(`${f.name}${key}: last bucket is not +Inf`)
    if (last[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} != _count ${g.count}`)
  }
}

export const sampleValue = (
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string>
): number | undefined => {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue
      const keys = Object.keys(s.labels)
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value
    }
  }
  return undefined
}
