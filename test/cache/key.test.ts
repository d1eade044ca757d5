import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { deriveKey, sortedParams, varyValues } from "../../src/cache/key.js"
import { defaultHeaders, defaultRedactor } from "../../src/logging/redact.js"

const name = fc.string({ minLength: 1, maxLength: 6 })
const value = fc.string({ maxLength: 8 })
const params = fc.array(fc.tuple(name, value), { maxLength: 8 })
const apiKey = fc.stringMatching(/^[A-Za-z0-9_-]{12,40}$/)
const token = fc.string({ minLength: 8, maxLength: 40 }).filter((t) => t.trim() === t && /^[\x21-\x7e]+$/.test(t))

const urlWith = (ps: ReadonlyArray<readonly [string, string]>, base = "https://api.example.com/v1/items") => {
  const url = new URL(base)
  for (const [k, v] of ps) url.searchParams.append(k, v)
  return url
}

/** A permutation that keeps the relative order of values of one name (what the key ignores). */
const shuffleKeepingNameOrder = (ps: ReadonlyArray<readonly [string, string]>, seed: number) => {
  const byName = new Map<string, Array<readonly [string, string]>>()
  for (const p of ps) byName.set(p[0], [...(byName.get(p[0]) ?? []), p])
  const queues = [...byName.values()]
  const out: Array<readonly [string, string]> = []
  let s = seed
  while (queues.some((q) => q.length > 0)) {
    const live = queues.filter((q) => q.length > 0)
    s = (s * 1103515245 + 12345) % 2147483648
    out.push(live[s % live.length]!.shift()!)
  }
  return out
}

describe("cache key", () => {
  it("is deterministic", () =>
    fc.assert(fc.property(params, fc.option(token, { nil: undefined }), (ps, t) => {
      const headers = t === undefined ? {} : { authorization: `Bearer ${t}` }
      const a = deriveKey({ method: "GET", url: urlWith(ps), headers })
      const b = deriveKey({ method: "get", url: urlWith(ps), headers: { ...headers } })
      expect(a).toBe(b)
      expect(a).toMatch(/^[0-9a-f]{64}$/)
    })))

  it("ignores query parameter order (values of a repeated name keep their order)", () =>
    fc.assert(fc.property(params, fc.nat(), (ps, seed) => {
      const shuffled = shuffleKeepingNameOrder(ps, seed)
      expect(deriveKey({ method: "GET", url: urlWith(shuffled), headers: {} })).toBe(
        deriveKey({ method: "GET", url: urlWith(ps), headers: {} })
      )
    })))

  it("distinguishes the order of values of one repeated name", () => {
    const a = deriveKey({ method: "GET", url: urlWith([["a", "1"], ["a", "2"]]), headers: {} })
    const b = deriveKey({ method: "GET", url: urlWith([["a", "2"], ["a", "1"]]), headers: {} })
    expect(a).not.toBe(b)
  })

  it("gives a different key to a different token and never contains the token", () =>
    fc.assert(fc.property(params, token, token, (ps, t1, t2) => {
      fc.pre(t1 !== t2)
      const k1 = deriveKey({ method: "GET", url: urlWith(ps), headers: { Authorization: `Bearer ${t1}` } })
      const k2 = deriveKey({ method: "GET", url: urlWith(ps), headers: { authorization: `Bearer ${t2}` } })
      const anon = deriveKey({ method: "GET", url: urlWith(ps), headers: {} })
      expect(k1).not.toBe(k2)
      expect(k1).not.toBe(anon)
      expect(k1.includes(t1)).toBe(false)
    })))

  it("partitions by configurable credential headers such as X-API-Key", () =>
    fc.assert(fc.property(token, token, (t1, t2) => {
      fc.pre(t1 !== t2)
      const url = urlWith([])
      const k1 = deriveKey({ method: "GET", url, headers: { "X-API-Key": t1 } })
      const k2 = deriveKey({ method: "GET", url, headers: { "x-api-key": t2 } })
      expect(k1).not.toBe(k2)
      const custom = ["x-goog-api-key"]
      expect(deriveKey({ method: "GET", url, headers: { "x-goog-api-key": t1 }, credentialHeaders: custom })).not.toBe(
        deriveKey({ method: "GET", url, headers: { "x-goog-api-key": t2 }, credentialHeaders: custom })
      )
    })))

  it("partitions by every credential request header the logger masks (x-goog-api-key, api-key…) by default", () =>
    fc.assert(fc.property(apiKey, apiKey, (t1, t2) => {
      fc.pre(t1 !== t2)
      const url = urlWith([])
      // Set-Cookie is a response header: it never reaches a request's key.
      const requestHeaders = defaultHeaders.filter((h) => h !== "set-cookie")
      expect(requestHeaders).toEqual(expect.arrayContaining(["x-goog-api-key", "api-key", "x-amz-security-token"]))
      // The logger keeps cookie names readable, so the secret goes in a cookie value.
      const valueOf = (name: string, t: string) => name === "cookie" ? `sid=${t}` : t
      for (const name of requestHeaders) {
        expect(deriveKey({ method: "GET", url, headers: { [name]: valueOf(name, t1) } }), name).not.toBe(
          deriveKey({ method: "GET", url, headers: { [name]: valueOf(name, t2) } })
        )
        expect(JSON.stringify(defaultRedactor.redactHeaders({ [name]: valueOf(name, t1) })), name).not.toContain(t1)
      }
    })))

  it("a header masked only by the logger's substring rules (a per-request signature) does not split the cache", () =>
    fc.assert(fc.property(apiKey, apiKey, (t1, t2) => {
      fc.pre(t1 !== t2)
      const url = urlWith([])
      for (const name of ["x-request-signature", "x-session-nonce", "x-csrf-token"]) {
        expect(deriveKey({ method: "GET", url, headers: { [name]: t1 } }), name).toBe(
          deriveKey({ method: "GET", url, headers: { [name]: t2 } })
        )
        expect(JSON.stringify(defaultRedactor.redactHeaders({ [name]: t1 })), name).not.toContain(t1)
      }
    })))

  it("depends on method, host, path, vary headers and partition; not on the fragment or other headers", () => {
    const base = { method: "GET", url: new URL("https://a.example/x?q=1"), headers: { accept: "application/json" } }
    const k = deriveKey(base)
    expect(deriveKey({ ...base, method: "HEAD" })).not.toBe(k)
    expect(deriveKey({ ...base, url: new URL("https://b.example/x?q=1") })).not.toBe(k)
    expect(deriveKey({ ...base, url: new URL("https://a.example/y?q=1") })).not.toBe(k)
    expect(deriveKey({ ...base, url: new URL("http://a.example/x?q=1") })).not.toBe(k)
    expect(deriveKey({ ...base, url: new URL("https://a.example:443/x?q=1#frag") })).toBe(k)
    expect(deriveKey({ ...base, headers: { accept: "text/html" } })).toBe(k)
    expect(deriveKey({ ...base, vary: ["Accept"] })).not.toBe(deriveKey({ ...base, vary: ["accept"], headers: { accept: "text/html" } }))
    expect(deriveKey({ ...base, vary: ["Accept"] })).toBe(deriveKey({ ...base, vary: ["accept", "ACCEPT"] }))
    expect(deriveKey({ ...base, partition: "github" })).not.toBe(k)
  })

  it("vary values are fingerprints (unsalted SHA-256: equal in every process), never the value", () =>
    fc.assert(fc.property(token, fc.constantFrom("Authorization", "X-Goog-Api-Key", "Accept"), (v, name) => {
      const lower = name.toLowerCase()
      const stored = varyValues({ [name]: v }, [name, "x-absent"])
      expect(JSON.stringify(stored).includes(v)).toBe(false)
      expect(stored["x-absent"]).toBeNull()
      // Recomputed from scratch, as another process would.
      expect(stored[lower]).toBe(
        createHash("sha256").update(JSON.stringify(["effect-governor/credential/v1", [[lower, v]]])).digest("hex")
      )
    })))

  it("reads parameters as URLSearchParams does, with or without escapes (property)", () =>
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("a", "b", "=", "&", "%", "2", "0", "+", " ", "é", "?") }), (query) => {
      const url = new URL(`https://x/p?${query}`)
      const expected = Array.from(url.searchParams.entries()).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      expect(sortedParams(url)).toEqual(expected)
    })))

  it("tells apart any two requests that differ in parameters, vary values or partition (property)", () => {
    const tricky = fc.string({ unit: fc.constantFrom("1", "2", ":", ";", "-", "a", "\n"), maxLength: 5 })
    const input = fc.record({
      ps: fc.array(fc.tuple(fc.string({ unit: fc.constantFrom("1", ":", ";", "a"), minLength: 1, maxLength: 3 }), tricky), {
        maxLength: 3
      }),
      accept: fc.option(tricky, { nil: undefined }),
      partition: fc.option(tricky, { nil: undefined })
    })
    const stable = (ps: ReadonlyArray<readonly [string, string]>) => [...ps].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    const key = (i: typeof input extends fc.Arbitrary<infer T> ? T : never) =>
      deriveKey({
        method: "GET",
        url: urlWith(i.ps),
        headers: i.accept === undefined ? {} : { accept: i.accept },
        vary: ["accept"],
        partition: i.partition
      })
    fc.assert(fc.property(input, input, (a, b) => {
      const same = JSON.stringify([stable(a.ps), a.accept ?? null, a.partition ?? null]) ===
        JSON.stringify([stable(b.ps), b.accept ?? null, b.partition ?? null])
      expect(key(a) === key(b)).toBe(same)
    }), { numRuns: 2000 })
  })

  it("sorts parameters stably by name", () => {
    expect(sortedParams(new URL("https://x/?b=1&a=2&b=0&a=1"))).toEqual([["a", "2"], ["a", "1"], ["b", "1"], ["b", "0"]])
  })
})
