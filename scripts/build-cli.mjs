/**
 * Bundles the CLI into one file, dist/bin/effect-governor.js (the package's `bin`), so that @effect/cli,
 * the printers and their parsers are build-time dependencies: a library user installs none of them.
 * The required peers (effect, @effect/platform, @effect/platform-node) and our own dependencies stay
 * external, so the CLI runs on the copies the user's project installed. ioredis, an optional peer of
 * the library, is bundled: the `limits` commands talk to Redis, and a CLI user need not install it.
 */
import { build } from "esbuild"

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/bin/effect-governor.js",
  bundle: true,
  minify: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["effect", "@effect/platform", "@effect/platform-node", "structured-headers", "yaml"],
  // Bundled CommonJS parsers (yaml, toml, ini) call require() for Node builtins; ESM has none.
  banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" },
  legalComments: "none",
  logLevel: "warning"
})
