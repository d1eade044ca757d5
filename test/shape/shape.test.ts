/**
 * The shape of `src/`: no top-level declaration over 120 lines, no file over 450 lines, no import
 * cycle between the folders of `src/` (type-only imports included: a cycle of types is still a
 * cycle of concepts). Known offenders are allowlisted with a ceiling (`allowlist.ts`).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import ts from "typescript"
import { declarationCeilings, exemptFiles, fileCeilings } from "./allowlist.js"
import { folderOf, parse, sources, srcDir } from "./sources.js"

const MAX_DECLARATION_LINES = 120
const MAX_FILE_LINES = 450

const all = sources()

/** Over-limit sizes against their ceilings: what is new, what grew, what no longer needs an entry. */
const judge = (sizes: ReadonlyMap<string, number>, ceilings: Readonly<Record<string, number>>, max: number) => {
  const problems: Array<string> = []
  for (const [item, size] of sizes) {
    const ceiling = ceilings[item]
    if (size > max && ceiling === undefined) problems.push(`${item}: ${size} lines, over ${max} (split it; do not allowlist it)`)
    else if (ceiling !== undefined && size > ceiling) problems.push(`${item}: grew to ${size} lines, its allowlisted ceiling is ${ceiling}`)
  }
  for (const [item, ceiling] of Object.entries(ceilings)) {
    const size = sizes.get(item)
    if (size === undefined) problems.push(`${item}: gone; remove its allowlist entry`)
    else if (size <= max) problems.push(`${item}: now ${size} lines, within ${max}; remove its allowlist entry (was ${ceiling})`)
  }
  return problems
}

const declarationSizes = (): Map<string, number> => {
  const sizes = new Map<string, number>()
  for (const s of all.values()) {
    for (const d of s.declarations) {
      const key = `${s.file} ${d.name}`
      sizes.set(key, Math.max(sizes.get(key) ?? 0, d.lines))
    }
  }
  return sizes
}

/** Folder-level import graph of `src/`, every import counted (type-only too). */
const folderGraph = (): Map<string, Map<string, string>> => {
  const edges = new Map<string, Map<string, string>>()
  for (const s of all.values()) {
    const sf = ts.createSourceFile(s.file, fs.readFileSync(path.join(srcDir, "..", s.file), "utf8"), ts.ScriptTarget.Latest)
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st))) continue
      const spec = st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : ""
      if (!spec.startsWith(".")) continue
      const target = path.relative(path.join(srcDir, ".."), path.resolve(path.dirname(path.join(srcDir, "..", s.file)), spec))
      if (target.startsWith("..") || !target.startsWith("src")) continue
      const a = folderOf(s.file)
      const b = folderOf(target.split(path.sep).join("/"))
      if (a === b) continue
      if (!edges.has(a)) edges.set(a, new Map())
      if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, `${s.file} imports ${spec}`)
    }
  }
  return edges
}

/** Every cycle's folders (strongly connected components of more than one folder, Tarjan). */
const folderCycles = (edges: ReadonlyMap<string, ReadonlyMap<string, string>>): Array<Array<string>> => {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const out: Array<Array<string>> = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter++)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: Array<string> = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) out.push(component.sort())
    }
  }
  for (const v of edges.keys()) if (!index.has(v)) visit(v)
  return out
}

describe("code shape of src/", () => {
  it(`no top-level declaration over ${MAX_DECLARATION_LINES} lines beyond the allowlisted ceilings`, () => {
    expect(judge(declarationSizes(), declarationCeilings, MAX_DECLARATION_LINES)).toEqual([])
  })

  it(`no file over ${MAX_FILE_LINES} lines beyond the allowlisted ceilings (embedded scripts exempt)`, () => {
    const sizes = new Map([...all.values()].filter((s) => !(s.file in exemptFiles)).map((s) => [s.file, s.lines]))
    expect(judge(sizes, fileCeilings, MAX_FILE_LINES)).toEqual([])
    for (const file of Object.keys(exemptFiles)) expect(all.has(file), `exempt file ${file} exists`).toBe(true)
  })

  it("no import cycle between folders of src/", () => {
    const edges = folderGraph()
    const cycles = folderCycles(edges).map((c) =>
      `${c.join(" <-> ")}: ${c.flatMap((a) => c.filter((b) => edges.get(a)?.has(b)).map((b) => edges.get(a)!.get(b)!)).join("; ")}`
    )
    expect(cycles).toEqual([])
  })

  it("the checks catch what they are for (a long declaration, a cycle of three folders)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shape-"))
    try {
      const file = path.join(dir, "long.ts")
      fs.writeFileSync(file, `export const long = () => {\n${"  void 0\n".repeat(130)}}\nexport const lua = \`\n${"x\n".repeat(200)}\`\n`)
      const parsed = parse(file)
      expect(parsed.declarations).toEqual([{ name: "long", line: 1, lines: 132 }])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const three = new Map([["a", new Map([["b", ""]])], ["b", new Map([["c", ""]])], ["c", new Map([["a", ""]])], ["d", new Map([["a", ""]])]])
    expect(folderCycles(three)).toEqual([["a", "b", "c"]])
    expect(judge(new Map([["x", 130], ["y", 100], ["z", 500]]), { y: 200, z: 400 }, 120)).toHaveLength(3)
  })
})
