/**
 * The root entry point never loads `ioredis`: everything on Redis is behind `effect-governor/redis`
 * (`src/redis/index.ts`); nor `yaml`, which only the limits file loader imports, when it reads YAML.
 * Checked on the import graph (naming the chain that reaches it) and by loading the root in a fresh
 * process.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { root, runtimeClosure, sources } from "./sources.js"

const all = sources()
const chainTo = (entry: string, pkg: string): string | undefined => {
  for (const [module, chain] of runtimeClosure(all, entry)) {
    if (module === pkg || module.startsWith(`${pkg}/`)) return chain.join(" -> ")
  }
  return undefined
}

describe("entry points", () => {
  it("the root entry point imports no ioredis, directly or transitively", () => {
    expect(chainTo("src/index.ts", "ioredis")).toBeUndefined()
  })

  it("effect-governor/redis is where Redis lives: its entry reaches ioredis and every Redis layer", () => {
    expect(chainTo("src/redis/index.ts", "ioredis")).toBeDefined()
    const reached = runtimeClosure(all, "src/redis/index.ts")
    for (const module of ["src/redis/Redis.ts", "src/redis/RedisLimiter.ts", "src/redis/adaptiveStore.ts", "src/redis/cacheStore.ts"]) {
      expect(reached.has(module), module).toBe(true)
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
    expect(pkg.exports["./redis"]).toEqual({ types: "./dist/redis/index.d.ts", import: "./dist/redis/index.js" })
  })

  it("the root entry point imports no yaml statically: the limits file loader imports it when it reads YAML", () => {
    expect(chainTo("src/index.ts", "yaml")).toBeUndefined()
  })

  it("loading the root entry point in a fresh process loads neither ioredis nor yaml; reading a YAML limits file loads yaml", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "governor-yaml-"))
    const file = path.join(dir, "limits.yaml")
    fs.writeFileSync(file, "defaults: [{ name: rps, limit: 5, per: second }]\n")
    // Loads `entry`, counts the packages loaded, then reads a YAML limits file and counts again.
    const probe = (entry: string) =>
      [
        "const { createRequire } = await import('node:module')",
        "const require = createRequire(process.cwd() + '/package.json')",
        `const root = await import('${entry}')`,
        "const loaded = (pkg) => Object.keys(require.cache).filter((k) => new RegExp(`[\\\\/]node_modules[\\\\/]${pkg}[\\\\/]`).test(k)).length",
        "const first = { exports: Object.keys(root).length, redis: loaded('ioredis'), yaml: loaded('yaml') }",
        "const { NodeContext } = await import('@effect/platform-node')",
        "const { Effect } = await import('effect')",
        "const { load } = await import('./src/limits/LimitsFile.ts')",
        `const read = await Effect.runPromise(load(${JSON.stringify(file)}).pipe(Effect.provide(NodeContext.layer)))`,
        "console.log(JSON.stringify({ ...first, read: read.defaults?.[0]?.name, yamlAfterRead: loaded('yaml') }))"
      ].join(";")
    const run = (code: string) =>
      JSON.parse(
        execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root, encoding: "utf8" })
          .trim().split("\n").pop()!
      ) as { exports: number; redis: number; yaml: number; read: string; yamlAfterRead: number }
    try {
      const loaded = run(probe("./src/index.ts"))
      expect(loaded.exports).toBeGreaterThan(10)
      expect(loaded.redis).toBe(0)
      expect(loaded.yaml).toBe(0)
      // The same probe sees yaml once a YAML limits file is read, and ioredis when the Redis entry
      // point is loaded (so the checks above can fail).
      expect(loaded.read).toBe("rps")
      expect(loaded.yamlAfterRead).toBeGreaterThan(0)
      expect(run(probe("./src/redis/index.ts")).redis).toBeGreaterThan(0)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
