/**
 * The event loop turned after each test. Vitest's runner goes from one synchronous test to the next in
 * microtasks only, so a file of them (the simulated matrix, a property) never reads the main process's
 * answers to its progress updates: 60 s in, each update's RPC timer fires first and the run fails with
 * `Timeout calling "onTaskUpdate"` though every test passed (matrix.test.ts took 41-61 s on a loaded
 * 2-core machine, and failed so once in 3 runs).
 */
import { afterEach } from "vitest"

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)))
