/**
 * Benchmark harness: each group measures its own figures *and* its baseline in the same run,
 * prints a readable table, and contributes flat keys to the one JSON object printed last.
 */

export interface BenchRow {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly note?: string
}

/** Command-line switches every group may read (`npm run bench -- adaptive --quick`). */
export interface RunOptions {
  /** A shorter subset of the group's measurements. */
  readonly quick: boolean
  /** The parts of the group to run (`GROUP:PART` on the command line); all of them when undefined. */
  readonly parts?: ReadonlySet<string> | undefined
}

/** Whether `part` of a group is to run. */
export const runsPart = (options: RunOptions, part: string): boolean => options.parts === undefined || options.parts.has(part)

export interface BenchResult {
  readonly rows: ReadonlyArray<BenchRow>
  readonly figures: Readonly<Record<string, number>>
  /** A table of the group's own layout, printed before the rows. */
  readonly table?: string
}

export interface BenchGroup {
  readonly name: string
  readonly description: string
  /** Parts that can run alone (`npm run bench -- redis:matrix`); none when the group runs whole. */
  readonly parts?: ReadonlyArray<string>
  /** Returns the rows for the table and the flat JSON figures (`"<group>.<figure>": number`). */
  readonly run: (options: RunOptions) => Promise<BenchResult>
}

const fmt = (n: number): string =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 1000 ? Math.round(n).toLocaleString("en-US") : n.toFixed(n >= 100 ? 1 : 3)

export const printTable = (group: BenchGroup, result: BenchResult): void => {
  const rows = result.rows
  const w = Math.max(...rows.map((r) => r.name.length), 10)
  console.log(`\n== ${group.name}: ${group.description}`)
  if (result.table !== undefined) console.log(result.table)
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(w)}  ${fmt(r.value).padStart(14)} ${r.unit.padEnd(8)}${r.note ? `  ${r.note}` : ""}`)
  }
}

/** Operations per second of `body` over `iterations`, after a warm-up of a tenth of them. */
export const opsPerSecond = async (iterations: number, body: (n: number) => Promise<unknown>): Promise<number> => {
  await body(Math.max(1, Math.floor(iterations / 10)))
  const start = performance.now()
  await body(iterations)
  const seconds = (performance.now() - start) / 1000
  return iterations / seconds
}

/** Best of `rounds` measurements: the least disturbed by GC and the other core's load. */
export const bestOf = async (rounds: number, measure: () => Promise<number>): Promise<number> => {
  let best = 0
  for (let i = 0; i < rounds; i++) best = Math.max(best, await measure())
  return best
}

/** The geometric mean: the headline of a set of ratios. */
export const geo = (xs: ReadonlyArray<number>): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length)

/** A headline figure: the geometric mean of `ratios` as `figures[key]`, and its row. */
export const headline = (
  result: { readonly rows: Array<BenchRow>; readonly figures: Record<string, number> },
  key: string,
  name: string,
  ratios: ReadonlyArray<number>,
  note: string
): void => {
  const value = geo(ratios)
  result.figures[key] = value
  result.rows.push({ name, value, unit: "x", note: `geometric mean${note}` })
}
