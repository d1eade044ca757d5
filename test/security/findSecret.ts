/**
 * Searching observable outputs for a secret. A secret counts as leaked when any run of `length`
 * (default 8) consecutive characters of it appears in an output: a masked value, a truncated copy or
 * half a token are leaks too. A run that also appears in the outputs of a baseline (the same
 * scenario with another secret) is a coincidence of the output's own text and is ignored.
 */

/** One observable output: where it came from, and its text. */
export interface Output {
  readonly where: string
  readonly text: string
}

/** A place where part of the secret was found. */
export interface Finding {
  readonly where: string
  /** The piece of the secret found (overlapping runs merged). */
  readonly match: string
  /** The output around the match, on one line. */
  readonly excerpt: string
}

/** Every distinct run of `length` consecutive characters of `secret` (the secret itself when shorter). */
export const secretRuns = (secret: string, length = 8): ReadonlyArray<string> => {
  if (secret.length <= length) return [secret]
  const runs = new Set<string>()
  for (let i = 0; i + length <= secret.length; i++) runs.add(secret.slice(i, i + length))
  return [...runs]
}

const oneLine = (s: string): string => s.replace(/\s+/g, " ")

/** Every place in one output where runs of the secret occur, overlapping runs merged into one piece. */
const matchesIn = (output: Output, runs: ReadonlyArray<string>): Array<Finding> => {
  const spans: Array<[number, number]> = []
  for (const run of runs) {
    for (let at = output.text.indexOf(run); at !== -1; at = output.text.indexOf(run, at + 1)) {
      spans.push([at, at + run.length])
    }
  }
  spans.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const span of spans) {
    const last = merged[merged.length - 1]
    if (last !== undefined && span[0] <= last[1]) last[1] = Math.max(last[1], span[1])
    else merged.push([span[0], span[1]])
  }
  return merged.map(([from, to]) => ({
    where: output.where,
    match: output.text.slice(from, to),
    excerpt: oneLine(output.text.slice(Math.max(0, from - 60), Math.min(output.text.length, to + 60)))
  }))
}

/**
 * Finds `secret` in `outputs`: one finding per place it occurs. Runs that also occur in any of
 * `baseline` are ignored.
 */
export const findSecret = (
  secret: string,
  outputs: Iterable<Output>,
  options: { readonly length?: number; readonly baseline?: Iterable<Output> } = {}
): Array<Finding> => {
  let runs = secretRuns(secret, options.length)
  if (options.baseline !== undefined) {
    const baseline = [...options.baseline]
    runs = runs.filter((run) => !baseline.some((o) => o.text.includes(run)))
  }
  return [...outputs].flatMap((output) => matchesIn(output, runs))
}

/**
 * A readable report: findings of the same output (file names and Redis keys, which are hashes, made
 * alike) and behaviour problems are grouped, each line listing the contexts (store, mask) it was seen in.
 */
export const formatFindings = (findings: ReadonlyArray<Finding & { readonly context: string }>): string => {
  const groups = new Map<string, { first: Finding; contexts: Array<string> }>()
  const occurrence = new Map<string, number>()
  for (const f of findings) {
    const where = f.where.replace(/[0-9a-f]{64}/g, "<sha256>")
    // The n-th place in an output (per context) groups with the n-th place of the same output elsewhere.
    const n = occurrence.get(`${f.context}\0${where}`) ?? 0
    occurrence.set(`${f.context}\0${where}`, n + 1)
    const key = f.match === "" ? `${where}\0${f.excerpt}` : `${where}\0${n}`
    const group = groups.get(key) ?? { first: { ...f, where }, contexts: [] }
    group.contexts.push(f.context)
    groups.set(key, group)
  }
  return [...groups.values()]
    .map(({ contexts, first }) =>
      first.match === ""
        ? `- ${first.where} [${contexts.join(", ")}]: ${first.excerpt}`
        : `- ${first.where} [${contexts.join(", ")}]: "${first.match}" in …${first.excerpt}…`
    )
    .join("\n")
}
