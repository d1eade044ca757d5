/**
 * Prints, per seed, each fixed window the server opened (not part of the suite): when it opened (s),
 * how late after the one before ended (ms), and how many it admitted, beside the seed's goodput:
 * `npx tsx test/adaptive/windowsTrace.ts <net> <scenario> <seeds> <row name>` (a fixed window's row, its
 * windows replayed from the server's decisions: `first-request`, the simulation's anchor). Shows where a
 * window's quota goes unused: windows cut short by a pause, windows opening late.
 */
import { cellOf, type Net, rows, type ScenarioId } from "./matrix.js"
import { simulate } from "./simulation.js"

const [net = "lagged", scenario = "a", seeds = "3", name = "hdr fixed 1s ietf"] = process.argv.slice(2)
const row = rows.find((r) => r.name === name)
if (row === undefined || row.server.family._tag !== "fixed") throw new Error(`no fixed window row named ${name}`)
const windowMs = row.server.family.windowMs
for (let seed = 1; seed <= Number(seeds); seed++) {
  const decisions: Array<readonly [number, boolean]> = []
  const res = simulate({ ...cellOf(row, scenario as ScenarioId, net as Net, "adaptive"), seed, onArrive: (t, admitted) => decisions.push([t, admitted]) })
  const windows: Array<{ start: number; late: number; admitted: number; rejected: number }> = []
  for (const [t, admitted] of decisions) {
    const w = windows[windows.length - 1]
    if (w === undefined || t >= w.start + windowMs) windows.push({ start: t, late: w === undefined ? t : t - w.start - windowMs, admitted: 0, rejected: 0 })
    const open = windows[windows.length - 1]!
    if (admitted) open.admitted++
    else open.rejected++
  }
  const cells = windows.map((w) => `${(w.start / 1000).toFixed(1)}+${w.late.toFixed(0)}:${w.admitted}${w.rejected > 0 ? `/${w.rejected}` : ""}`)
  console.log(`seed ${seed} ${res.goodputPct.toFixed(1)}%: ${cells.join(" ")}`)
}
