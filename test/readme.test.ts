/** The README is documentation users copy from: keep its config reference equal to the schema's. */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { markdown } from "../src/config/reference.js"

const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8")

describe("README", () => {
  it("opens with the two set-up commands", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ""
    expect(firstBlock).toContain("npm install && npm run demo")
    expect(firstBlock).toContain("npm test")
  })

  it("carries the configuration reference generated from the ApiConfig schema", () => {
    const generated = markdown().replace(/^## Configuration reference\n+/, "").trim()
    expect(readme).toContain(generated)
  })

  it("shows the type-checked example of composing the combinators (src/ResilientClient.ts @example)", () => {
    const source = fs.readFileSync(path.resolve(__dirname, "..", "src", "ResilientClient.ts"), "utf8")
    const example = /@example\n \* ```ts\n([\s\S]*?)\n \* ```/.exec(source)?.[1]
    expect(example).toBeDefined()
    const code = example!.split("\n").map((line) => line.replace(/^ \* ?/, "")).join("\n")
    const section = readme.slice(readme.indexOf("### Compose the combinators yourself"))
    expect(section).toContain("```ts\n" + code + "\n```")
  })
})
