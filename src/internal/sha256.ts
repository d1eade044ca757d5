/**
 * SHA-256 as lower-case hex of a UTF-8 string. One-shot `crypto.hash` (Node >= 20.12) costs about
 * half of a `createHash` chain; older Nodes fall back to the chain.
 *
 * @since 0.1.0
 * @internal
 */
import * as crypto from "node:crypto"

/** @internal */
export const sha256Hex: (text: string) => string = typeof crypto.hash === "function"
  ? (text) => crypto.hash("sha256", text, "hex")
  : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex")
