/**
 * The URL a retry error or warning reports: redacted by the redaction in effect, then every query
 * value masked and the fragment dropped. An error travels further than a log line (into callers'
 * own logs, error trackers), and a query parameter the redactor does not know by name may still be
 * a credential (HubSpot's `hapikey`, OpenWeather's `appid`): the names stay, to tell requests apart.
 */
import { Effect } from "effect"
import { redactUrl } from "../logging/Redaction.js"

const MASK = "[REDACTED]"

/** Masks every query value of an already redacted URL and drops its fragment (pure). */
export const maskQueryValues = (url: string): string => {
  const hash = url.indexOf("#")
  const noFragment = hash === -1 ? url : url.slice(0, hash)
  const q = noFragment.indexOf("?")
  if (q === -1) return noFragment
  const masked = noFragment.slice(q + 1).split("&").map((pair) => {
    if (pair === "") return pair
    const eq = pair.indexOf("=")
    return `${eq === -1 ? pair : pair.slice(0, eq)}=${MASK}`
  })
  return `${noFragment.slice(0, q)}?${masked.join("&")}`
}

/** The reported form of a request URL (see the module comment). */
export const reportedUrl = (url: string | URL): Effect.Effect<string> => Effect.map(redactUrl(url), maskQueryValues)
