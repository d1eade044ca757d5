/** `it.prop` for fast-check 4 arbitraries (the one in @effect/vitest expects effect's bundled fast-check). */
import { it } from "@effect/vitest"
import fc from "fast-check"

export const prop = <Ts extends [unknown, ...Array<unknown>]>(
  name: string,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  f: (args: Ts) => void,
  options: { readonly fastCheck?: { readonly numRuns?: number } } = {}
) =>
  it(name, () => {
    const tuple = fc.tuple(...(arbs as unknown as Array<fc.Arbitrary<unknown>>)) as unknown as fc.Arbitrary<Ts>
    fc.assert(fc.property(tuple, f), { numRuns: options.fastCheck?.numRuns ?? 100 })
  })
