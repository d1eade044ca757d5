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
    // FC_SEED replays a failure CI printed (its seed) locally.
    const seed = process.env["FC_SEED"] === undefined ? {} : { seed: Number(process.env["FC_SEED"]) }
    fc.assert(fc.property(tuple, f), { numRuns: options.fastCheck?.numRuns ?? 100, ...seed })
  })
