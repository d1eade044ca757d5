/**
 * Every ```ts block of every JSDoc `@example` in `src/` type-checks, as a user would write it: each
 * block is its own module importing `effect-governor`, `effect-governor/testing` and
 * `effect-governor/redis` (mapped to `src/`), and names what it uses (imports, or `declare const` for
 * the values it assumes). A block with a top-level `yield*` is a fragment of a generator: it is wrapped
 * in `Effect.gen(function*() { … })`, its imports and declarations kept at the top. Compiled in-process
 * with the TypeScript compiler API and the repository's compiler options.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { root, srcDir } from "./sources.js"

interface Example {
  /** `src/x.ts:LINE` of the block's first code line. */
  readonly at: string
  readonly code: string
}

const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : []
  })

/** The ```ts blocks of the `@example` sections of every JSDoc comment of `file`. */
const examplesOf = (file: string): Array<Example> => {
  const text = fs.readFileSync(file, "utf8")
  const out: Array<Example> = []
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const firstLine = text.slice(0, comment.index).split("\n").length
    const lines = comment[0].split("\n").map((l) => l.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""))
    let inExample = false
    let block: Array<string> | undefined
    let blockLine = 0
    lines.forEach((line, i) => {
      if (block !== undefined) {
        if (line.trim() === "```") {
          out.push({ at: `${path.relative(root, file)}:${blockLine}`, code: block.join("\n") })
          block = undefined
        } else block.push(line)
        return
      }
      if (/^@\w+/.test(line.trim())) inExample = line.trim().startsWith("@example")
      else if (inExample && line.trim() === "```ts") {
        block = []
        blockLine = firstLine + i + 1
      }
    })
  }
  return out
}

/** Whether `yield` appears outside any function of `sf` (a fragment of a generator body). */
const hasTopLevelYield = (sf: ts.SourceFile): boolean => {
  const visit = (node: ts.Node): boolean => {
    if (ts.isFunctionLike(node)) return false
    if (ts.isYieldExpression(node) || (ts.isIdentifier(node) && node.text === "yield")) return true
    return ts.forEachChild(node, visit) === true
  }
  return sf.statements.some(visit)
}

const isHeader = (st: ts.Statement): boolean =>
  ts.isImportDeclaration(st) ||
  (ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword))

/** The module a block is checked as. */
const moduleOf = (code: string): string => {
  const sf = ts.createSourceFile("example.ts", code, ts.ScriptTarget.Latest, true)
  if (!hasTopLevelYield(sf)) return `${code}\nexport {}\n`
  const header = sf.statements.filter(isHeader).map((st) => st.getText(sf))
  const body = sf.statements.filter((st) => !isHeader(st)).map((st) => st.getText(sf))
  return [
    `import * as Effect$ from "effect/Effect"`,
    ...header,
    `export const example = Effect$.gen(function*() {`,
    ...body,
    `})`,
    ""
  ].join("\n")
}

const compilerOptions = (): ts.CompilerOptions => {
  const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  return {
    ...parsed.options,
    noEmit: true,
    // A fragment may name a value only to show it; unused names are not a documentation error.
    noUnusedLocals: false,
    noUnusedParameters: false,
    baseUrl: root,
    paths: {
      "effect-governor": ["src/index.ts"],
      "effect-governor/testing": ["src/testing/index.ts"],
      "effect-governor/redis": ["src/redis/index.ts"]
    }
  }
}

/** Type errors of each module (keyed by a label), compiled together in one program. */
const typeErrors = (modules: ReadonlyMap<string, string>): Map<string, Array<string>> => {
  const dir = path.join(root, "test", "shape", ".examples")
  const files = new Map([...modules.keys()].map((label, i) => [path.join(dir, `example${i}.ts`), label] as const))
  const texts = new Map([...files].map(([file, label]) => [file, modules.get(label)!] as const))
  const options = compilerOptions()
  const host = ts.createCompilerHost(options, true)
  const { fileExists, getSourceFile, readFile } = host
  host.fileExists = (f) => texts.has(f) || fileExists.call(host, f)
  host.readFile = (f) => texts.get(f) ?? readFile.call(host, f)
  host.getSourceFile = (f, language, onError, create) =>
    texts.has(f) ? ts.createSourceFile(f, texts.get(f)!, language, true) : getSourceFile.call(host, f, language, onError, create)
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host })
  const errors = new Map<string, Array<string>>()
  for (const [file, label] of files) {
    const sf = program.getSourceFile(file)!
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
    if (diagnostics.length === 0) continue
    errors.set(label, diagnostics.map((d) => {
      const line = d.start === undefined ? "" : texts.get(file)!.split("\n")[sf.getLineAndCharacterOfPosition(d.start).line]!.trim()
      return `${ts.flattenDiagnosticMessageText(d.messageText, "\n")}  [in: ${line}]`
    }))
  }
  return errors
}

describe("JSDoc examples", () => {
  const examples = walk(srcDir).flatMap(examplesOf)

  it("fragments with a top-level yield* become a generator; modules stay as written", () => {
    const wrapped = moduleOf(`import { Effect } from "effect"\ndeclare const n: number\nconst x = yield* Effect.succeed(n)`)
    expect(wrapped).toContain(`export const example = Effect$.gen(function*() {\nconst x = yield* Effect.succeed(n)\n})`)
    expect(wrapped.indexOf("declare const n")).toBeLessThan(wrapped.indexOf("Effect$.gen"))
    const module = `import { Effect } from "effect"\nconst p = Effect.gen(function*() { yield* Effect.void })`
    expect(moduleOf(module)).toBe(`${module}\nexport {}\n`)
  })

  it("reads every @example of src/: each has a ```ts block, and every ```ts block of a comment is read", () => {
    for (const file of walk(srcDir)) {
      const text = fs.readFileSync(file, "utf8")
      const read = examplesOf(file).length
      const at = path.relative(root, file)
      expect(read, `${at}: @example tags without a \`\`\`ts block`).toBeGreaterThanOrEqual((text.match(/@example\b/g) ?? []).length)
      expect(read, `${at}: \`\`\`ts blocks outside an @example`).toBe((text.match(/^\s*\*\s*```ts\s*$/gm) ?? []).length)
    }
  })

  it("every ```ts block of every @example in src/ type-checks", () => {
    expect(examples.length).toBeGreaterThan(30)
    // Two known-bad blocks ride along, so a checker that reports nothing fails here.
    const canaries = new Map([
      ["canary: wrong type", `import { Limit } from "effect-governor"\nconst n: string = Limit.perSecond("a", 1)`],
      ["canary: unknown name", `import { RateLimiter } from "effect-governor"\nconst l = yield* RateLimiter.NoSuchThing`]
    ])
    const modules = new Map([...examples.map((e) => [e.at, moduleOf(e.code)] as const), ...[...canaries].map(([k, v]) => [k, moduleOf(v)] as const)])
    const errors = typeErrors(modules)
    for (const label of canaries.keys()) expect(errors.get(label), label).toBeDefined()
    for (const label of canaries.keys()) errors.delete(label)
    expect(Object.fromEntries(errors)).toEqual({})
  }, 300_000)
})
