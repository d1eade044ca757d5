/**
 * The syntax of an HTTP header name, in one place: the config, the response cache's marker header
 * and the CLI's `--header` all accept exactly the RFC 9110 token characters.
 *
 * @since 0.1.0
 * @internal
 */

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** @internal */
export const isHeaderName = (s: string): boolean => TOKEN.test(s)
