import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { maskQueryValues } from "../../src/retry/reportedUrl.js"

describe("maskQueryValues", () => {
  it("keeps the path and the parameter names, masks every value, drops the fragment", () => {
    expect(maskQueryValues("https://a.test/p/q?x=1&flag&y=&z=a=b#f")).toBe("https://a.test/p/q?x=[REDACTED]&flag=[REDACTED]&y=[REDACTED]&z=[REDACTED]")
    expect(maskQueryValues("https://a.test/p#k=secret")).toBe("https://a.test/p")
    expect(maskQueryValues("/rel?&a=1")).toBe("/rel?&a=[REDACTED]")
  })

  it("no query value survives, whatever it is", () => {
    const value = fc.stringMatching(/^[A-Za-z0-9%._~-]{6,20}$/)
    fc.assert(fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,8}$/), value), { minLength: 1, maxLength: 5 }), (pairs) => {
      const out = maskQueryValues(`https://a.test/x?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`)
      for (const [k, v] of pairs) {
        expect(out).toContain(`${k}=[REDACTED]`)
        if (!"https://a.test/x?[REDACTED]&=".includes(v) && !pairs.some(([k2]) => k2.includes(v))) expect(out).not.toContain(v)
      }
    }))
  })
})
