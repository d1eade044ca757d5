import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as CachedResponse from "../../src/cache/CachedResponse.js"

const req = HttpClientRequest.get("http://127.0.0.1/x")
const bytes = (s: string) => new TextEncoder().encode(s)

describe("cached response", () => {
  it.effect("every body accessor works repeatedly and returns its own copy", () =>
    Effect.gen(function*() {
      const stored = bytes("{\"a\":1}")
      const r = CachedResponse.make(req, 200, { "content-type": "application/json", "X-Custom": "v" }, stored)
      expect(r.status).toBe(200)
      expect(r.request).toBe(req)
      expect(r.headers["x-custom"]).toBe("v")
      expect(yield* r.json).toEqual({ a: 1 })
      expect(yield* r.text).toBe("{\"a\":1}")
      const buf = new Uint8Array(yield* r.arrayBuffer)
      buf[0] = 0
      expect(yield* r.text).toBe("{\"a\":1}")
      expect(stored[0]).toBe("{".charCodeAt(0))
      const chunks = yield* Stream.runCollect(r.stream)
      expect(new TextDecoder().decode(Chunk.toReadonlyArray(chunks)[0])).toBe("{\"a\":1}")
      expect(yield* r.text).toBe("{\"a\":1}")
    }))

  it.effect("decode failures are ResponseErrors; 204 has no stream; cookies and form data parse", () =>
    Effect.gen(function*() {
      const bad = CachedResponse.make(req, 200, {}, bytes("{nope"))
      const err = yield* Effect.flip(bad.json)
      expect([err._tag, err.reason]).toEqual(["ResponseError", "Decode"])
      const empty = CachedResponse.make(req, 204, {}, new Uint8Array())
      expect((yield* Effect.flip(Stream.runCollect(empty.stream))).reason).toBe("EmptyBody")
      expect(yield* empty.text).toBe("")
      const withCookie = CachedResponse.make(req, 200, { "set-cookie": "sid=1; Path=/" }, new Uint8Array())
      expect(withCookie.cookies.cookies["sid"]?.value).toBe("1")
      const form = CachedResponse.make(req, 200, { "content-type": "application/x-www-form-urlencoded" }, bytes("a=1&b=2"))
      expect((yield* form.formData).get("b")).toBe("2")
      expect(yield* form.urlParamsBody).toEqual([["a", "1"], ["b", "2"]])
    }))
})
