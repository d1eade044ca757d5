/**
 * The source tree of `src/` as the shape checks see it: every module's runtime imports (type-only
 * imports are erased by TypeScript and load nothing), its line count and its top-level declarations.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

export const root = path.resolve(__dirname, "..", "..")
export const srcDir = path.join(root, "src")

export interface Declaration {
  readonly name: string
  readonly line: number
  readonly lines: number
}

export interface SourceFile {
  /** Path relative to the repository root, with `/`. */
  readonly file: string
  readonly lines: number
  readonly declarations: ReadonlyArray<Declaration>
  /** Runtime imports: resolved repository paths for relative ones, package names for bare ones. */
  readonly imports: ReadonlyArray<string>
}

const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return walk(p)
    return /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : []
  })

const relative = (p: string) => path.relative(root, p).split(path.sep).join("/")

/** `./x.js` → the `.ts` file it names. */
const resolveRelative = (from: string, spec: string): string => {
  const target = path.resolve(path.dirname(from), spec)
  for (const candidate of [target.replace(/\.js$/, ".ts"), `${target}.ts`, path.join(target, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return relative(candidate)
  }
  return relative(target)
}

/** Whether an import or export loads its module at run time (TypeScript erases type-only ones). */
const isRuntime = (st: ts.ImportDeclaration | ts.ExportDeclaration): boolean => {
  if (ts.isImportDeclaration(st)) {
    const clause = st.importClause
    if (clause === undefined) return true // side-effect import
    if (clause.isTypeOnly) return false
    if (clause.name !== undefined) return true
    const bindings = clause.namedBindings
    if (bindings === undefined || ts.isNamespaceImport(bindings)) return true
    return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly)
  }
  if (st.isTypeOnly) return false
  const clause = st.exportClause
  if (clause === undefined || ts.isNamespaceExport(clause)) return true
  return clause.elements.length === 0 || clause.elements.some((e) => !e.isTypeOnly)
}

/** A declaration that is only a string (an embedded script, a template) is data, not logic. */
const isStringData = (st: ts.Statement): boolean =>
  ts.isVariableStatement(st) &&
  st.declarationList.declarations.every((d) =>
    d.initializer !== undefined &&
    (ts.isNoSubstitutionTemplateLiteral(d.initializer) || ts.isStringLiteral(d.initializer) || ts.isTemplateExpression(d.initializer))
  )

const nameOf = (st: ts.Statement, sf: ts.SourceFile): string => {
  const named = st as { name?: ts.Node }
  if (named.name !== undefined) return named.name.getText(sf)
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.map((d) => d.name.getText(sf)).join(",")
  return ts.SyntaxKind[st.kind]
}

export const parse = (file: string): SourceFile => {
  const text = fs.readFileSync(file, "utf8")
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const imports: Array<string> = []
  const declarations: Array<Declaration> = []
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) {
      const spec = st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined
      if (spec !== undefined && isRuntime(st)) imports.push(spec.startsWith(".") ? resolveRelative(file, spec) : spec)
      continue
    }
    if (isStringData(st)) continue
    const start = sf.getLineAndCharacterOfPosition(st.getStart(sf)).line
    const end = sf.getLineAndCharacterOfPosition(st.getEnd()).line
    declarations.push({ name: nameOf(st, sf), line: start + 1, lines: end - start + 1 })
  }
  return { file: relative(file), lines: text.split("\n").length, declarations, imports }
}

/** Every source file of `src/`, by repository path. */
export const sources = (): ReadonlyMap<string, SourceFile> =>
  new Map(walk(srcDir).map((f) => {
    const s = parse(f)
    return [s.file, s]
  }))

/** The top-level folder of `src/` a file is in (`.` for files directly in `src/`). */
export const folderOf = (file: string): string => {
  const parts = file.split("/")
  return parts.length > 2 ? parts[1]! : "."
}

/** Everything `entry` loads at run time, transitively: repository paths and package names. */
export const runtimeClosure = (all: ReadonlyMap<string, SourceFile>, entry: string): Map<string, Array<string>> => {
  // module -> the chain of imports that reached it (for error messages)
  const reached = new Map<string, Array<string>>([[entry, [entry]]])
  const todo = [entry]
  while (todo.length > 0) {
    const file = todo.pop()!
    for (const target of all.get(file)?.imports ?? []) {
      if (reached.has(target)) continue
      reached.set(target, [...reached.get(file)!, target])
      if (all.has(target)) todo.push(target)
    }
  }
  return reached
}
