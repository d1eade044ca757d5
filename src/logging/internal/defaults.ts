/**
 * The default rules' lists: credential headers, name substrings, query parameters, JSON keys and
 * free-text patterns.
 *
 * @since 0.1.0
 * @internal
 */
import { CREDENTIAL_HEADERS } from "../../internal/credentials.js"

/**
 * Default header names hidden: the credential request headers the response cache partitions by,
 * plus `Set-Cookie`, their response-side counterpart.
 *
 * @since 0.1.0
 */
export const defaultHeaders: ReadonlyArray<string> = [...CREDENTIAL_HEADERS, "set-cookie"]

/**
 * A header is hidden when its name contains one of these.
 *
 * @since 0.1.0
 */
export const defaultHeaderSubstrings: ReadonlyArray<string> = [
  "token",
  "secret",
  "password",
  "apikey",
  "api-key",
  "credential",
  "signature",
  "session"
]

/**
 * Default query parameter names hidden.
 *
 * @since 0.1.0
 */
export const defaultQueryParams: ReadonlyArray<string> = [
  "token",
  "key",
  "api_key",
  "apikey",
  "api-key",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "auth_token",
  "private_token",
  "client_secret",
  "password",
  "passwd",
  "pwd",
  "secret",
  "signature",
  "sig",
  "code",
  "session",
  "sessionid",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token"
]

/**
 * Default object / JSON keys hidden: secret-named keys plus every default header name (one
 * credential list: a header copied into a JSON body is as secret as on the wire).
 *
 * @since 0.1.0
 */
export const defaultJsonKeys: ReadonlyArray<string> = [
  "password",
  "passwd",
  "pwd",
  "secret",
  "client_secret",
  "clientsecret",
  "token",
  "access_token",
  "accesstoken",
  "refresh_token",
  "refreshtoken",
  "id_token",
  "api_key",
  "apikey",
  "private_key",
  "privatekey",
  "credentials",
  "signature",
  ...defaultHeaders
]

/**
 * Default patterns: bearer / basic credentials, common API key shapes, JWTs, PEM private keys
 * and URL userinfo. Rule-derived patterns (`name=value`, `"name": "value"`, `Header: value`)
 * are added from the name lists, so custom names are covered in free text too.
 *
 * @since 0.1.0
 */
export const defaultPatterns: ReadonlyArray<RegExp> = [
  /\bBearer\s+(?<secret>[^\s"'<>,;]+)/gi,
  /\bBasic\s+(?<secret>[A-Za-z0-9+/]{8,}={0,2})/g,
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // Userinfo after any `scheme://`, even glued to other text (`…:8080http://user:pw@host`). The scheme
  // is checked by a lookbehind at each `://` only: a leading `[a-zA-Z]…` without `\b` would rescan
  // every long run of letters from each of its positions.
  /:\/\/(?<=[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)(?<secret>[^\s/?#@"'<>]+)@/g
]
