/**
 * mulberry32: a tiny, well-distributed 32-bit PRNG, so the simulated API's faults and delays are the
 * same for a given seed and request order.
 *
 * @since 0.1.0
 */

/**
 * A generator of uniform numbers in [0, 1).
 *
 * @since 0.1.0
 * @category constructors
 */
export const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
