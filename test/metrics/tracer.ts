/** A tracer that records every span's name, kind, parent, attributes and whether it ended. */
import { Option, Tracer } from "effect"
import type { Exit } from "effect"

export interface Captured {
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly parent: string | undefined
  readonly spanId: string
  readonly attributes: Map<string, unknown>
  ended: boolean
  exit?: Exit.Exit<unknown, unknown>
}

export const collectingTracer = () => {
  const spans: Array<Captured> = []
  let next = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const captured: Captured = {
        name,
        kind,
        parent: Option.getOrUndefined(Option.map(parent, (p) => p.spanId)),
        spanId: `span-${next++}`,
        attributes: new Map(),
        ended: false
      }
      spans.push(captured)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: captured.spanId,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: captured.attributes,
        links,
        sampled: true,
        kind,
        end: (_t: bigint, exit: Exit.Exit<unknown, unknown>) => {
          captured.ended = true
          captured.exit = exit
        },
        attribute: (k, v) => {
          captured.attributes.set(k, v)
        },
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}
