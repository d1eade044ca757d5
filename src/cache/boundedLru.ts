/**
 * The eviction both in-memory holders of entries share (the memory store and the file store's memo):
 * an {@link Lru} bounded by a number of nodes and a total of their sizes, least recently used out
 * first.
 *
 * @since 0.1.0
 * @internal
 */
import { Lru, type LruNode } from "../internal/lru.js"

/** A node with its size in bytes (`entrySize`). @internal */
export interface SizedNode<N> extends LruNode<N> {
  readonly size: number
}

/** @internal */
export class BoundedLru<N extends SizedNode<N>> {
  private readonly lru = new Lru<N>()
  private total = 0
  constructor(readonly maxEntries: number, readonly maxBytes: number) {}

  get size(): number {
    return this.lru.size
  }

  /** The sum of the sizes held. */
  get bytes(): number {
    return this.total
  }

  get(key: string): N | undefined {
    return this.lru.get(key)
  }

  /** The node of `key`, marked most recently used. */
  use(key: string): N | undefined {
    return this.lru.use(key)
  }

  /**
   * Adds `node` as most recently used, in place of its key's, then evicts least recently used nodes
   * until both bounds hold; returns how many it evicted. A node larger than `maxBytes` is not added
   * (its key's previous node is still removed).
   */
  set(node: N): number {
    this.delete(node.key)
    if (node.size > this.maxBytes) return 0
    this.lru.add(node)
    this.total += node.size
    let evicted = 0
    for (let n = this.lru.oldest(); n !== null && (this.lru.size > this.maxEntries || this.total > this.maxBytes);) {
      const next: N | null = n.next
      this.remove(n)
      evicted++
      n = next
    }
    return evicted
  }

  /** Removes `node`, which is held. */
  remove(node: N): void {
    this.lru.remove(node)
    this.total -= node.size
  }

  delete(key: string): N | undefined {
    const n = this.lru.delete(key)
    if (n !== undefined) this.total -= n.size
    return n
  }

  clear(): void {
    this.lru.clear()
    this.total = 0
  }

  /** Nodes from least to most recently used (the current one may be removed while iterating). */
  oldestFirst(): IterableIterator<N> {
    return this.lru.oldestFirst()
  }
}
