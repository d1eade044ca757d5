/**
 * `npm run demo`'s server and workload, shared with its virtual-time twin (test/adaptive/matrix.test.ts),
 * which runs the same workload against the same hidden limit in the pure simulation.
 */
export const demoSettings = {
  /** The hidden limit: 25 req/s, 5 at once (0.2 s of it); the docs the client is given say twice that. */
  hiddenRate: 25,
  burst: 5,
  errorRate: 0.02,
  /**
   * Items fetched, 8 at a time. Learning 50 -> 25 meets the wall three times, each a whole-second
   * Retry-After pause for every fiber (the last ends ~4.5 s in): 180 items keep the fetch going ~10 s,
   * so its last 4 s are all at the learned rate (with 120, the last pause fell in them: ~20 of 25).
   */
  items: 180,
  /** The collection is listed first, a page at a time (each page names the next). */
  pageSize: 20,
  concurrency: 8,
  /** The accepted rate is read over the end of the fetch phase (the re-reads mostly hit the cache). */
  acceptedWindowMs: 4000
} as const
