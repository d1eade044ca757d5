import { describe, expect, it } from "@effect/vitest"
import { Duration, Redacted } from "effect"
import fc from "fast-check"
import {
  defaultRedactor,
  isMask,
  makeRedactor,
  maskWith,
  PARTIAL_MIN_LENGTH,
  REDACTED,
  redactHeaders,
  redactJson,
  redactText,
  redactUrl,
  redactValue
} from "../../src/logging/redact.js"

const LONG = "abcdEFGH1234567890ijklmnopQRSTuvwxyz" // 36 chars
const salted = (mask: "full" | "partial" | "hash") => makeRedactor({ mask, salt: "test-salt" })

describe("maskWith", () => {
  it("full always hides everything", () => {
    expect(maskWith("x", "full")).toBe(REDACTED)
    expect(maskWith(LONG, "full")).toBe(REDACTED)
  })

  it("partial shows 4 + 4 only from PARTIAL_MIN_LENGTH on", () => {
    expect(maskWith(LONG, "partial")).toBe("abcd…wxyz")
    expect(maskWith("a".repeat(PARTIAL_MIN_LENGTH - 1), "partial")).toBe(REDACTED)
    expect(maskWith("b".repeat(PARTIAL_MIN_LENGTH), "partial")).toBe("bbbb…bbbb")
  })

  it("partial never shows more than a quarter of the value", () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("a", "Z", "0", "é", "😀", "\u0301", " "), maxLength: 80 }), (s) => {
      const out = maskWith(s, "partial")
      const shown = out === REDACTED ? 0 : Array.from(out).length - 1
      expect(shown).toBeLessThanOrEqual(Array.from(s).length / 4)
    }))
  })

  it("hash is a stable salted fingerprint", () => {
    const a = maskWith("secret-1", "hash", "salt")
    expect(a).toMatch(/^\[sha256:[0-9a-f]{8}\]$/)
    expect(maskWith("secret-1", "hash", "salt")).toBe(a)
    expect(maskWith("secret-2", "hash", "salt")).not.toBe(a)
    expect(maskWith("secret-1", "hash", "other-salt")).not.toBe(a)
    expect(isMask(a)).toBe(true)
  })
})

describe("redactHeaders", () => {
  it("hides default sensitive headers, keeps the auth scheme and cookie names", () => {
    const out = redactHeaders({
      Authorization: `Bearer ${LONG}`,
      "proxy-authorization": "Basic dXNlcjpwYXNz",
      Cookie: "session=abc123456; theme=dark",
      "Set-Cookie": "sid=xyz98765; Path=/; HttpOnly",
      "X-API-Key": "k-123456",
      "X-Upstream-Token": "tok-999",
      "X-Client-Secret": "shh",
      Accept: "application/json",
      "X-Empty": undefined
    }, defaultRedactor)
    expect(out).toEqual({
      Authorization: "Bearer [REDACTED]",
      "proxy-authorization": "Basic [REDACTED]",
      Cookie: "session=[REDACTED]; theme=[REDACTED]",
      "Set-Cookie": "sid=[REDACTED]; Path=/; HttpOnly",
      "X-API-Key": "[REDACTED]",
      "X-Upstream-Token": "[REDACTED]",
      "X-Client-Secret": "[REDACTED]",
      Accept: "application/json",
      "X-Empty": undefined
    })
  })

  it("masks a sensitive value wherever else it appears in the same headers", () => {
    const out = defaultRedactor.redactHeaders({ "x-api-key": "k-abcdef123", "x-debug": "sent k-abcdef123" })
    expect(out["x-debug"]).toBe("sent [REDACTED]")
  })

  it("handles array values and custom names (data-last form too)", () => {
    const r = makeRedactor({ rules: { headers: ["X-Custom"] } })
    expect(redactHeaders(r)({ "x-custom": ["a", "b"], "set-cookie": ["a=1", "b=2"] })).toEqual({
      "x-custom": [REDACTED, REDACTED],
      "set-cookie": ["a=[REDACTED]", "b=[REDACTED]"]
    })
  })

  it("partial and hash masks apply to the credential only", () => {
    expect(salted("partial").redactHeaders({ authorization: `Bearer ${LONG}` }).authorization).toBe("Bearer abcd…wxyz")
    const h = salted("hash").redactHeaders({ authorization: `Bearer ${LONG}` }).authorization
    expect(h).toBe(`Bearer ${maskWith(LONG, "hash", "test-salt")}`)
  })
})

describe("redactUrl", () => {
  it("hides sensitive query and fragment params, keeps everything else byte for byte", () => {
    expect(redactUrl("https://api.example.com/v1/items?page=2&api_key=abc&Token=x%20y&q=a+b#frag", defaultRedactor))
      .toBe("https://api.example.com/v1/items?page=2&api_key=[REDACTED]&Token=[REDACTED]&q=a+b#frag")
    expect(redactUrl("https://x.test/cb#access_token=abc&state=1", defaultRedactor))
      .toBe("https://x.test/cb#access_token=[REDACTED]&state=1")
  })

  it("hides userinfo (user and password)", () => {
    expect(defaultRedactor.redactUrl("https://alice:s3cr3t@db.example.com:5432/x"))
      .toBe("https://[REDACTED]@db.example.com:5432/x")
    expect(defaultRedactor.redactUrl(new URL("https://ghp_token@github.com/a"))).toBe("https://[REDACTED]@github.com/a")
  })

  it("hides userinfo of a URL glued to other text (a base URL ending in a port or a digit)", () => {
    expect(defaultRedactor.redactUrl("http://127.0.0.1:8080http://user:pw-s3cr3t@host/x"))
      .toBe("http://127.0.0.1:8080http://[REDACTED]@host/x")
    expect(defaultRedactor.redactText("GET https://api.test/v1http://user:pw-s3cr3t@host/x failed"))
      .not.toContain("pw-s3cr3t")
  })

  it("stays linear on long runs of letters and digits (no rescan from every position)", () => {
    // A quadratic scan of 200k characters takes tens of seconds; a linear one milliseconds.
    const started = performance.now()
    defaultRedactor.redactText("a".repeat(200_000))
    defaultRedactor.redactText(Array.from({ length: 200_000 }, (_, i) => "0123456789abcdef"[(i * 7) % 16]).join(""))
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it("hash of a query value equals the hash of its decoded value", () => {
    const r = salted("hash")
    const secret = "a b&c=d/é"
    const out = r.redactUrl(`https://h.test/p?token=${encodeURIComponent(secret)}`)
    expect(out).toBe(`https://h.test/p?token=${maskWith(secret, "hash", "test-salt")}`)
  })

  it("masks a learned query value elsewhere in the URL (path)", () => {
    expect(defaultRedactor.redactUrl("https://h.test/users/tok123456/x?token=tok123456"))
      .toBe("https://h.test/users/[REDACTED]/x?token=[REDACTED]")
  })

  it("leaves URLs without secrets untouched, including odd ones", () => {
    fc.assert(fc.property(fc.webUrl({ withQueryParameters: false, withFragments: false }), (u) => {
      // generated hosts/paths may contain things like "key=" only through params, which are off here
      expect(defaultRedactor.redactUrl(u)).toBe(u)
    }), { numRuns: 40 })
    expect(defaultRedactor.redactUrl("not a url ?token=abc")).toBe("not a url ?token=[REDACTED]")
    expect(defaultRedactor.redactUrl("/relative?key=v&x=%E0%A4%A")).toBe("/relative?key=[REDACTED]&x=%E0%A4%A")
  })
})

describe("redactText", () => {
  it("hides default patterns", () => {
    const cases: Array<[string, string]> = [
      ["auth Bearer abc.def-ghi done", "auth Bearer [REDACTED] done"],
      ["key sk-abcdefghijklmnop1234 used", "key [REDACTED] used"],
      ["gh ghp_abcdefghijklmnopqrstuvwxyz12 end", "gh [REDACTED] end"],
      ["slack xoxb-1234567890-abcdef", "slack [REDACTED]"],
      ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_123 ok", "jwt [REDACTED] ok"],
      ['{"user":"bo","password":"p\\"w"}', '{"user":"bo","password":"[REDACTED]"}'],
      ["login password=hunter2 ok", "login password=[REDACTED] ok"],
      ["X-Api-Key: abc123\nAccept: */*", "X-Api-Key: [REDACTED]\nAccept: */*"],
      ["see https://u:p@h.test/x", "see https://[REDACTED]@h.test/x"],
      ["aws AKIAABCDEFGHIJKLMNOP", "aws [REDACTED]"]
    ]
    for (const [input, expected] of cases) expect(redactText(input, defaultRedactor)).toBe(expected)
  })

  it("does not touch ordinary text", () => {
    expect(defaultRedactor.redactText("GET /v1/items 200 in 12ms (max_tokens=5)")).toBe(
      "GET /v1/items 200 in 12ms (max_tokens=5)"
    )
  })

  it("replaces every occurrence of an explicit secret, also URL- and JSON-encoded", () => {
    const secret = 'p@ss w"rd/ü'
    const r = makeRedactor({ rules: { secrets: [Redacted.make(secret)] } })
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret).slice(1, -1)} d`
    expect(r.redactText(text)).toBe("a [REDACTED] b [REDACTED] c [REDACTED] d")
  })

  it("partial: a known secret inside a longer match is never shown through the longer match", () => {
    const secret = "shortsecret12" // below the partial threshold: its own mask is full
    const r = makeRedactor({ mask: "partial", rules: { secrets: [secret] } })
    const out = r.redactText(`Bearer prefix-prefix-prefix-${secret}`)
    expect(out).toBe("Bearer [REDACTED]")
    expect(out).not.toContain("t12")
  })

  it("hash: masks are not re-masked when redacting twice", () => {
    const r = salted("hash")
    const once = r.redactText(`Bearer ${LONG} and password=${LONG}`)
    expect(r.redactText(once)).toBe(once)
    const header = r.redactHeaders({ authorization: `Bearer ${LONG}` }).authorization
    expect(r.redactValue({ authorization: header, password: maskWith(LONG, "hash", "test-salt") })).toEqual({
      authorization: header,
      password: maskWith(LONG, "hash", "test-salt")
    })
  })

  it("custom patterns with and without a secret group; empty matches are harmless", () => {
    const r = makeRedactor({ rules: { patterns: [/acct-(?<secret>\d+)/, /PIN\d{4}/, /(?=y)/] } })
    expect(r.redactText("acct-12345 PIN1234 xyz")).toBe("acct-[REDACTED] [REDACTED] xyz")
  })

  it("replaceDefaults drops the default lists", () => {
    const r = makeRedactor({ replaceDefaults: true, rules: { patterns: [], queryParams: ["only"], jsonKeys: [] } })
    expect(r.redactText("Bearer abc")).toBe("Bearer abc")
    expect(r.redactUrl("https://h/?token=1&only=2")).toBe("https://h/?token=1&only=[REDACTED]")
  })
})

describe("redactJson", () => {
  it("masks sensitive keys at any depth", () => {
    const body = JSON.stringify({ user: "a", auth: { password: "x", tokens: [{ access_token: "y" }] }, n: 1 })
    expect(JSON.parse(redactJson(body, defaultRedactor))).toEqual({
      user: "a",
      auth: { password: REDACTED, tokens: [{ access_token: REDACTED }] },
      n: 1
    })
  })

  it("falls back to text redaction for non-JSON", () => {
    expect(defaultRedactor.redactJson("password=abc&x=1")).toBe("password=[REDACTED]&x=1")
  })
})

describe("redactValue", () => {
  it("Redacted values anywhere, learned everywhere in the same value", () => {
    const token = Redacted.make("tok_abcdef12345")
    const out = redactValue({ a: [token, { b: new Map([["k", token]]) }], note: "used tok_abcdef12345" }, defaultRedactor)
    expect(out).toEqual({ a: [REDACTED, { b: new Map([["k", REDACTED]]) }], note: `used ${REDACTED}` })
  })

  it("Errors: message, stack, fields and cause; the original is not mutated", () => {
    const inner = new Error("inner password=abc")
    const e = Object.assign(new Error("outer token=xyz", { cause: inner }), { _tag: "Boom", apiKey: "zz" })
    const out = defaultRedactor.redactValue(e) as Error & { _tag: string; cause: Error }
    expect(out).toBeInstanceOf(Error)
    expect(out.message).toBe("outer token=[REDACTED]")
    expect(out.stack).not.toContain("xyz")
    expect(out._tag).toBe("Boom")
    expect((out as unknown as { apiKey: string }).apiKey).toBe(REDACTED)
    expect(out.cause.message).toBe("inner password=[REDACTED]")
    expect(e.message).toBe("outer token=xyz")
  })

  it("is cycle safe and keeps shared references consistent", () => {
    const a: Record<string, unknown> = { name: "a", password: "pw" }
    a["self"] = a
    const out = defaultRedactor.redactValue(a) as Record<string, unknown>
    expect(out["password"]).toBe(REDACTED)
    expect(out["self"]).toBe("[Circular]")
  })

  it("headers objects get header rules; Dates, Durations and primitives pass through", () => {
    const d = new Date(0)
    const out = defaultRedactor.redactValue({
      headers: { "x-github-token": "abc", accept: "x" },
      when: d,
      took: Duration.millis(5),
      n: 3,
      ok: true
    }) as Record<string, unknown>
    expect(out["headers"]).toEqual({ "x-github-token": REDACTED, accept: "x" })
    expect(out["when"]).toBe(d)
    expect(Duration.toMillis(out["took"] as Duration.Duration)).toBe(5)
    expect(out["n"]).toBe(3)
  })

  it("objects with toJSON (Effect data) are redacted through their JSON form", () => {
    class Creds {
      toJSON() {
        return { user: "u", secret: "s" }
      }
    }
    expect(defaultRedactor.redactValue(new Creds())).toEqual({ user: "u", secret: REDACTED })
  })

  it("never returns a value containing a Redacted secret (property)", () => {
    const shape = (leaf: fc.Arbitrary<unknown>) =>
      fc.letrec((tie) => ({
        node: fc.oneof(
          { depthSize: "small" },
          leaf,
          fc.array(tie("node"), { maxLength: 3 }),
          fc.dictionary(fc.string({ maxLength: 6 }), tie("node"), { maxKeys: 3 })
        )
      })).node
    fc.assert(fc.property(fc.string({ minLength: 12, maxLength: 40 }), (secret) => {
      const r = Redacted.make(secret)
      return fc.assert(fc.property(shape(fc.oneof(fc.constant<unknown>(r), fc.integer(), fc.constant("x"))), (v) => {
        expect(JSON.stringify(defaultRedactor.redactValue(v)) ?? "").not.toContain(JSON.stringify(secret).slice(1, -1))
      }), { numRuns: 10 }) ?? true
    }), { numRuns: 20 })
  })
})
