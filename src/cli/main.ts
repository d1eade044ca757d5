#!/usr/bin/env node
/**
 * Entry point of the `effect-governor` binary.
 *
 * @since 0.1.0
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit } from "effect"
import { run } from "./Cli.js"

NodeRuntime.runMain(run(process.argv).pipe(Effect.provide(NodeContext.layer)), {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit)
        ? (exit.value as number)
        // Ctrl-C is the documented way to stop `simulate` and `metrics`: not an error.
        : Cause.isInterruptedOnly(exit.cause)
        ? 0
        : 1
    )
})
