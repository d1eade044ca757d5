/** FC_SEED=<seed CI printed> replays that failure locally, in every fast-check property. */
import fc from "fast-check"

const seed = process.env["FC_SEED"]
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) })
