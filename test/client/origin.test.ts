import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Origin from "../../src/client/origin.js"

describe("origin guard", () => {
  const guard = Origin.makeGuard("https://api.example.com/v1")

  it("accepts baseUrl's origin and refuses everything else, as URL parsing decides", () => {
    fc.assert(fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true, withPort: true } }), (url) => {
      const parsed = new URL(url)
      const same = `${parsed.protocol}//${parsed.host}` === "https://api.example.com" && parsed.username === "" &&
        parsed.password === ""
      expect(guard(url) === undefined).toBe(same)
    }))
  })

  it("a path glued to the base origin cannot change the host", () => {
    const bare = Origin.makeGuard("https://api.example.com")
    for (const tail of [".evil.test/x", "@evil.test/x", ":443@evil.test/"]) {
      expect(bare(`https://api.example.com${tail}`)?._tag, tail).toBe("RefusedUrl")
    }
    expect(bare("https://api.example.com/x")).toBeUndefined()
    expect(bare("https://API.example.com:443/x")).toBeUndefined()
    expect(bare("https://api.example.com?x=1")).toBeUndefined()
    // WHATWG URLs read a backslash as a slash: the host stays api.example.com
    expect(bare("https://api.example.com\\@evil.test")).toBeUndefined()
  })

  it("the refusal never shows userinfo", () => {
    const refused = guard("https://alice:hunter2-pw@evil.test:8443/p?q=1")
    expect(refused?.origin).toBe("https://evil.test:8443")
    expect(`${refused?.message} ${JSON.stringify(refused)}`).not.toContain("hunter2")
    expect(guard("http://[::1:bad/x")?.reason).toBe("Unparsable")
  })
})
