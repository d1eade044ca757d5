/**
 * A least-recently-used list: a `Map` for lookup and a doubly linked list for order, so marking an
 * entry used is a few pointer updates. (Re-inserting into the `Map` to move it to the end, the
 * usual trick, costs about a microsecond per hit on a map of a thousand entries.)
 *
 * @since 0.1.0
 * @internal
 */

interface Node<V> {
  readonly key: string
  value: V
  prev: Node<V> | undefined
  next: Node<V> | undefined
}

/** @internal */
export interface Lru<V> {
  readonly size: () => number
  /** The value, marked most recently used. */
  readonly use: (key: string) => V | undefined
  readonly peek: (key: string) => V | undefined
  /** Inserts or replaces, as most recently used. */
  readonly set: (key: string, value: V) => void
  readonly delete: (key: string) => V | undefined
  readonly clear: () => void
  /** Entries from least to most recently used (safe to delete the current one while iterating). */
  readonly oldestFirst: () => IterableIterator<readonly [string, V]>
}

/** @internal */
export const makeLru = <V>(): Lru<V> => {
  const nodes = new Map<string, Node<V>>()
  let head: Node<V> | undefined // least recently used
  let tail: Node<V> | undefined // most recently used
  const unlink = (n: Node<V>) => {
    if (n.prev === undefined) head = n.next
    else n.prev.next = n.next
    if (n.next === undefined) tail = n.prev
    else n.next.prev = n.prev
    n.prev = n.next = undefined
  }
  const append = (n: Node<V>) => {
    n.prev = tail
    if (tail === undefined) head = n
    else tail.next = n
    tail = n
  }
  return {
    size: () => nodes.size,
    use: (key) => {
      const n = nodes.get(key)
      if (n === undefined) return undefined
      if (n !== tail) {
        unlink(n)
        append(n)
      }
      return n.value
    },
    peek: (key) => nodes.get(key)?.value,
    set: (key, value) => {
      const existing = nodes.get(key)
      if (existing !== undefined) unlink(existing)
      const n: Node<V> = { key, value, prev: undefined, next: undefined }
      nodes.set(key, n)
      append(n)
    },
    delete: (key) => {
      const n = nodes.get(key)
      if (n === undefined) return undefined
      nodes.delete(key)
      unlink(n)
      return n.value
    },
    clear: () => {
      nodes.clear()
      head = tail = undefined
    },
    oldestFirst: function*() {
      let n = head
      while (n !== undefined) {
        const next = n.next
        yield [n.key, n.value] as const
        n = next
      }
    }
  }
}
