/**
 * What the README tells a user to run, so the packaging test follows the README and nothing else:
 * `install` (the Install section's npm line, minus the package), `testing` (the Testing section's
 * dev dependencies), `redis` (the optional peer of the Redis entry), `spec` (the Testing section's
 * it.live spec, as a file).
 */
import * as fs from "node:fs"

const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8")
const section = (title) => {
  const start = readme.indexOf(`\n## ${title}`)
  if (start < 0) throw new Error(`README has no "## ${title}" section`)
  const end = readme.indexOf("\n## ", start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}
const blocks = (text, lang) => [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1])
const npmArgs = (text, pattern) => {
  const line = blocks(text, "sh").flatMap((b) => b.split("\n")).find((l) => pattern.test(l))
  if (line === undefined) throw new Error(`README: no npm line matching ${pattern}`)
  return line.replace(/#.*$/, "").trim().split(/\s+/).slice(2).filter((a) => !a.startsWith("-"))
}

const what = process.argv[2]
if (what === "install") {
  console.log(npmArgs(section("Install"), /^npm install effect-governor /).filter((a) => a !== "effect-governor").join(" "))
} else if (what === "testing") {
  console.log(npmArgs(section("Testing your code"), /^npm install -D /).join(" "))
} else if (what === "redis") {
  console.log(/npm install (ioredis@\S+?)`/.exec(readme)?.[1] ?? "")
} else if (what === "spec") {
  const spec = blocks(section("Testing your code"), "ts").find((b) => b.includes("it.live("))
  if (spec === undefined) throw new Error("README: no it.live spec in the Testing section")
  process.stdout.write(spec)
} else {
  throw new Error(`usage: readme.mjs install|testing|redis|spec`)
}
