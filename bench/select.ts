/**
 * Which groups, and which parts of them, the command line selects: `GROUP` runs a whole group,
 * `GROUP:PART` one of its parts (several may be named). Pure, so it is tested without running a bench.
 */
import type { BenchGroup } from "./harness.js"

export interface Selected {
  readonly group: BenchGroup
  /** The parts named, or undefined for the whole group. */
  readonly parts: ReadonlySet<string> | undefined
}

/** The groups to run in registry order, or the error naming what is unknown. */
export const select = (
  groups: ReadonlyArray<BenchGroup>,
  names: ReadonlyArray<string>
): { readonly _tag: "Right"; readonly selected: ReadonlyArray<Selected> } | { readonly _tag: "Left"; readonly error: string } => {
  if (names.length === 0) return { _tag: "Right", selected: groups.map((group) => ({ group, parts: undefined })) }
  const whole = new Set<string>()
  const parts = new Map<string, Set<string>>()
  const unknown: Array<string> = []
  for (const name of names) {
    const [groupName, part] = name.split(":", 2) as [string, string | undefined]
    const group = groups.find((g) => g.name === groupName)
    if (group === undefined) unknown.push(`group ${groupName} (known: ${groups.map((g) => g.name).join(", ")})`)
    else if (part === undefined) whole.add(groupName)
    else if (!(group.parts ?? []).includes(part)) {
      unknown.push(`part ${name} (${group.parts === undefined ? `${groupName} has no parts` : `known: ${group.parts.map((p) => `${groupName}:${p}`).join(", ")}`})`)
    } else parts.set(groupName, (parts.get(groupName) ?? new Set()).add(part))
  }
  if (unknown.length > 0) return { _tag: "Left", error: `Unknown bench ${unknown.join("; ")}` }
  return {
    _tag: "Right",
    selected: groups
      .filter((g) => whole.has(g.name) || parts.has(g.name))
      .map((group) => ({ group, parts: whole.has(group.name) ? undefined : parts.get(group.name) }))
  }
}
