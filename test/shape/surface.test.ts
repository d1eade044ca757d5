/**
 * The public surface: the root entry point is one namespace per concept, each the module of the same
 * name in `src/` (Effect's rule: the file is named as its export; the folders are machinery); every
 * namespace of an entry point comes from a file of its name; no folder `index.ts` that nothing uses;
 * every error class reachable from the entry points is exported from exactly one place, with a `_tag`
 * of its own (distinct from Effect's `ConfigError` too).
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigError } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import * as Redis from "../../src/redis/index.js"
import * as Root from "../../src/index.js"
import * as Testing from "../../src/testing/index.js"
import { root, srcDir } from "./sources.js"

const entryPoints = { "effect-governor": "src/index.ts", "effect-governor/testing": "src/testing/index.ts", "effect-governor/redis": "src/redis/index.ts" }

const statements = (file: string): ReadonlyArray<ts.Statement> =>
  ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.Latest).statements

/** `export * as Name from "./file.js"` statements of an entry point: [Name, file]. */
const namespaceExports = (file: string): Array<readonly [string, string]> =>
  statements(file).flatMap((st) =>
    ts.isExportDeclaration(st) && st.exportClause !== undefined && ts.isNamespaceExport(st.exportClause) &&
      st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)
      ? [[st.exportClause.name.text, st.moduleSpecifier.text] as const]
      : []
  )

const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]
  )

/** Every error class reachable from a module namespace, with the paths it is exported at. */
const errorClasses = (modules: Record<string, unknown>): Map<Function, Array<string>> => {
  const found = new Map<Function, Array<string>>()
  const visit = (value: unknown, at: string, seen: Set<unknown>): void => {
    if (typeof value === "function" && value.prototype instanceof Error) {
      found.set(value, [...(found.get(value) ?? []), at])
      return
    }
    const isNamespace = typeof value === "object" && value !== null &&
      (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === "Module"
    if (!isNamespace || seen.has(value)) return
    seen.add(value)
    for (const [name, member] of Object.entries(value)) visit(member, `${at}.${name}`, seen)
  }
  for (const [name, module] of Object.entries(modules)) visit(module, name, new Set())
  return found
}

describe("public surface", () => {
  it("the root exports only namespaces, each the PascalCase module of its name in src/", () => {
    const exported = namespaceExports("src/index.ts")
    const others = statements("src/index.ts").filter((st) => !(ts.isExportDeclaration(st) && st.exportClause !== undefined && ts.isNamespaceExport(st.exportClause)))
    expect(others.map((st) => ts.SyntaxKind[st.kind])).toEqual([])
    for (const [name, spec] of exported) {
      expect(spec, name).toBe(`./${name}.js`)
      expect(/^[A-Z][A-Za-z]+$/.test(name), name).toBe(true)
      expect(fs.existsSync(path.join(srcDir, `${name}.ts`)), `src/${name}.ts`).toBe(true)
    }
    // About one namespace per concept (issue #14): the count moves only on purpose.
    expect(exported.map(([name]) => name)).toEqual([
      "Limit", "RateLimiter", "Limits", "Tenants", "AdaptiveController", "RetryPolicy", "CircuitBreaker", "Bulkhead", "ResponseCache",
      "Redaction", "RedactingLogger", "Metrics", "Tracing", "ApiConfig", "ConfigRegistry", "Presets", "ResilientClient"
    ])
  })

  it("Metrics has one way to record, its Effect recorders: the client's synchronous fast path is internal", () => {
    expect(Object.keys(Root.Metrics).filter((name) => /recorder/i.test(name))).toEqual([])
    expect(typeof Root.Metrics.recordRequest).toBe("function")
    // @ts-expect-error the fast path's type is internal too (src/metrics/recorder.ts)
    const fastPath: Root.Metrics.ApiRecorder | undefined = undefined
    expect(fastPath).toBeUndefined()
  })

  it("no value is exported from two root namespaces (one home per name)", () => {
    const homes = new Map<unknown, Array<string>>()
    for (const [ns, module] of Object.entries(Root)) {
      for (const [name, value] of Object.entries(module as object)) {
        if (typeof value === "function" || (typeof value === "object" && value !== null)) {
          homes.set(value, [...(homes.get(value) ?? []), `${ns}.${name}`])
        }
      }
    }
    const twice = [...homes.values()].filter((paths) => paths.length > 1)
    expect(twice).toEqual([])
  })

  it("machinery stays internal: option resolvers (each make decodes its options), state readers, builders", () => {
    const machinery = [
      "resolveOptions", "validate", "snapshotOf", "readOutcome", "burstFor", "recorderFor",
      // The cache's key and policy builders (a cache keys a request with `keyFor`, takes a partial
      // policy), the retry's backoff math (public as `schedule`), the client's log-line writers.
      "deriveKey", "makePolicy", "backoffDelay", "backoffOptions", "logRequest", "logResponse", "logCacheHit"
    ]
    const leaked = Object.entries({ ...Root, ...Testing }).flatMap(([ns, module]) =>
      Object.keys(module as object).filter((name) => machinery.includes(name)).map((name) => `${ns}.${name}`)
    )
    expect(leaked).toEqual([])
    // Options are decoded by each make (its typed error names the field): their schemas stay
    // internal.
    const schemas = Object.entries(Root).flatMap(([ns, module]) =>
      Object.keys(module as object).filter((name) => /OptionsSchema$|^Max(Concurrent|Queue)$/.test(name)).map((name) => `${ns}.${name}`)
    )
    expect(schemas).toEqual([])
    // Types of one home: the limit's encoded forms are Limit's, the log lines' inputs internal.
    // @ts-expect-error not re-exported by ApiConfig
    const encoded: Root.ApiConfig.LimitJsonEncoded | undefined = undefined
    // @ts-expect-error the request log's internals
    const info: Root.RedactingLogger.RequestInfo | undefined = undefined
    expect([encoded, info]).toEqual([undefined, undefined])
  })

  it("every module file directly in src/ is a root namespace (no stray public modules)", () => {
    const namespaces = new Set(namespaceExports("src/index.ts").map(([, spec]) => spec.slice(2).replace(/\.js$/, ".ts")))
    const files = fs.readdirSync(srcDir).filter((f) => f.endsWith(".ts") && f !== "index.ts")
    expect(files.filter((f) => !namespaces.has(f))).toEqual([])
  })

  it("every namespace of an entry point, and every namespace nested in a root namespace, comes from a file named as it", () => {
    const roots = namespaceExports("src/index.ts").map(([, spec]) => `src/${spec.slice(2).replace(/\.js$/, ".ts")}`)
    for (const entry of [...Object.values(entryPoints), ...roots]) {
      for (const [name, spec] of namespaceExports(entry)) {
        expect(path.basename(spec, ".js"), `${entry}: ${name}`).toBe(name)
      }
    }
  })

  it("no folder index.ts is dead: each is an entry point or imported by some code", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      readonly exports: Record<string, { readonly import?: string }>
    }
    const published = new Set(
      Object.values(pkg.exports).flatMap((e) => (e.import === undefined ? [] : [e.import.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")]))
    )
    const code = ["src", "test", "bench", "examples"].flatMap((d) => walk(path.join(root, d))).filter((f) => f.endsWith(".ts"))
    const imported = (target: string): boolean =>
      code.some((file) => {
        const dir = path.dirname(file)
        return statements(path.relative(root, file)).some((st) =>
          (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier !== undefined &&
          ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith(".") &&
          path.relative(root, path.resolve(dir, st.moduleSpecifier.text.replace(/\.js$/, ".ts"))) === target
        )
      })
    const barrels = walk(srcDir).map((f) => path.relative(root, f).split(path.sep).join("/"))
      .filter((f) => f.endsWith("/index.ts") && f !== "src/index.ts")
    expect(barrels.filter((b) => !published.has(b) && !imported(b))).toEqual([])
  })

  it("every error class is exported from exactly one place, with a _tag no other error has", () => {
    const classes = errorClasses({ Root, Testing, Redis })
    const duplicated = [...classes.values()].filter((paths) => paths.length > 1)
    expect(duplicated).toEqual([])
    expect(classes.size).toBeGreaterThan(20)
    const byTag = new Map<string, Array<string>>()
    for (const [cls, [at]] of classes) {
      const tag = (cls as { readonly _tag?: unknown })._tag
      if (typeof tag === "string") byTag.set(tag, [...(byTag.get(tag) ?? []), at!])
    }
    expect([...byTag.values()].filter((paths) => paths.length > 1)).toEqual([])
    // Nor the tag of Effect's own ConfigError (what `Config` fails with), which a program catches too.
    const effectTag = ConfigError.InvalidData([], "x")._tag
    expect(byTag.get(effectTag)).toBeUndefined()
  })
})
