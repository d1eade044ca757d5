/**
 * `ResilientClient.make` composes the standard pipe from the public combinators' own steps
 * (`src/client/standardPipe.ts`): its order is the README's request flow table, and every public
 * `with…` combinator is a step of it, so the two cannot drift apart.
 */
import type { HttpClient, HttpClientError } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import type { Effect } from "effect"
import { expectTypeOf } from "vitest"
import type { AttemptTimeout, DeadlineExceeded } from "../../src/bulkhead/errors.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { order } from "../../src/client/standardPipe.js"
import * as ResilientClient from "../../src/ResilientClient.js"

const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8")

describe("the standard pipe", () => {
  it("is the README's request flow table, outside in", () => {
    const section = readme.slice(readme.indexOf("## The request flow"))
    const rows = [...section.matchAll(/^\| (\d+) \| `(with\w+)/gm)].map((m) => [Number(m[1]), m[2]])
    expect(rows.map(([n]) => n)).toEqual(order.map((_, i) => i + 1))
    expect(rows.map(([, name]) => name)).toEqual([...order])
  })

  it("has a step for every public combinator, and only those", () => {
    const combinators = Object.keys(ResilientClient).filter((name) => /^with[A-Z]/.test(name))
    expect([...combinators].sort()).toEqual([...order].sort())
  })

  it("withAttemptTimeout keeps the client's error type (checked by the typecheck; it was unknown)", () => {
    const timed = (client: HttpClient.HttpClient) => client.pipe(ResilientClient.withAttemptTimeout({ timeout: "1 second" }))
    type Failure = Effect.Effect.Error<ReturnType<ReturnType<typeof timed>["execute"]>>
    expectTypeOf<Failure>().toEqualTypeOf<HttpClientError.HttpClientError | AttemptTimeout | DeadlineExceeded>()
  })
})
