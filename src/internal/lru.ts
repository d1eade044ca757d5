/**
 * A least-recently-used list, intrusive: each node carries its key and its links, so marking a node
 * used is a few pointer updates and no allocation, and evicting from the old end never degrades (a
 * JS `Map` re-insert to move a key to the end costs about a microsecond on a thousand entries, and
 * deleting from its front leaves holes that later iterations walk over). Used by the limiter's key
 * table and the response cache's memory store and file memo.
 *
 * @since 0.1.0
 * @internal
 */

/**
 * What a node of an {@link Lru} carries (the value itself, not a wrapper): its key and its links,
 * which only the list sets.
 *
 * @internal
 */
export interface LruNode<N> {
  readonly key: string
  prev: N | null
  next: N | null
}

/** @internal */
export class Lru<N extends LruNode<N>> {
  private readonly nodes = new Map<string, N>()
  private head: N | null = null // least recently used
  private tail: N | null = null // most recently used

  get size(): number {
    return this.nodes.size
  }

  /** The node of `key`, without marking it used. */
  get(key: string): N | undefined {
    return this.nodes.get(key)
  }

  /** The node of `key`, marked most recently used. */
  use(key: string): N | undefined {
    const n = this.nodes.get(key)
    if (n !== undefined) this.touch(n)
    return n
  }

  /** Marks `node`, which is in the list, most recently used. */
  touch(node: N): void {
    if (node === this.tail) return
    this.unlink(node)
    this.append(node)
  }

  /** Adds `node` as most recently used, in place of the node of its key (returned). */
  add(node: N): N | undefined {
    const previous = this.nodes.get(node.key)
    if (previous !== undefined) this.unlink(previous)
    this.nodes.set(node.key, node)
    this.append(node)
    return previous
  }

  /** Removes `node`, which is in the list. */
  remove(node: N): void {
    this.nodes.delete(node.key)
    this.unlink(node)
  }

  /** Removes and returns the node of `key`. */
  delete(key: string): N | undefined {
    const n = this.nodes.get(key)
    if (n !== undefined) this.remove(n)
    return n
  }

  clear(): void {
    for (let n = this.head; n !== null;) {
      const next: N | null = n.next
      n.prev = n.next = null
      n = next
    }
    this.nodes.clear()
    this.head = this.tail = null
  }

  /** The least recently used node; walk on with `next` (read `next` before removing a node). */
  oldest(): N | null {
    return this.head
  }

  /** Nodes from least to most recently used (the current one may be removed while iterating). */
  *oldestFirst(): IterableIterator<N> {
    for (let n = this.head; n !== null;) {
      const next: N | null = n.next
      yield n
      n = next
    }
  }

  private unlink(n: N): void {
    if (n.prev === null) this.head = n.next
    else n.prev.next = n.next
    if (n.next === null) this.tail = n.prev
    else n.next.prev = n.prev
    n.prev = n.next = null
  }

  private append(n: N): void {
    n.prev = this.tail
    n.next = null
    if (this.tail === null) this.head = n
    else this.tail.next = n
    this.tail = n
  }
}
