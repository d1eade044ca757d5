/**
 * The root entry point never loads `ioredis`: everything on Redis is behind `effect-governor/redis`
 * (`src/redis/index.ts`). Checked on the import graph (naming the chain that reaches it) and by
 * loading the root in a fresh process.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
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

  it("loading the root entry point in a fresh process loads no ioredis", () => {
    const script = [
      "const { createRequire } = await import('node:module')",
      "const require = createRequire(process.cwd() + '/package.json')",
      "const root = await import('./src/index.ts')",
      "const redis = Object.keys(require.cache).filter((k) => /[\\\\/]node_modules[\\\\/]ioredis[\\\\/]/.test(k))",
      "console.log(JSON.stringify({ exports: Object.keys(root).length, redis: redis.length }))"
    ].join(";")
    const run = (code: string) =>
      JSON.parse(
        execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root, encoding: "utf8" })
          .trim().split("\n").pop()!
      ) as { exports: number; redis: number }
    const loaded = run(script)
    expect(loaded.exports).toBeGreaterThan(10)
    expect(loaded.redis).toBe(0)
    // The same probe sees ioredis when the Redis entry point is loaded (so the check above can fail).
    expect(run(script.replace("./src/index.ts", "./src/redis/index.ts")).redis).toBeGreaterThan(0)
  }, 60_000)
})
