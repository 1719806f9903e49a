// Longest-prefix-match table: one hash map per prefix length (network bigint → entries), probed
// from the longest length present down to the shortest. A lookup costs at most 33 (IPv4) or 129
// (IPv6) map probes regardless of the table size, and usually far fewer: only lengths that hold
// at least one prefix are probed.

import { type Addr, type Family, type Prefix, maskOf, parsePrefix } from './addr.js';

export class LpmTable<T> {
  readonly family: Family;
  private readonly byLength = new Map<number, Map<bigint, T[]>>();
  /** Prefix lengths present, longest first. */
  private lengths: number[] = [];
  private count = 0;

  constructor(family: Family) {
    this.family = family;
  }

  get size(): number {
    return this.count;
  }

  insert(prefix: Prefix | string, value: T): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    if (!p) throw new Error(`invalid prefix: ${String(prefix)}`);
    if (p.family !== this.family) throw new Error(`prefix ${String(prefix)} is not ${this.family}`);
    let m = this.byLength.get(p.length);
    if (!m) {
      m = new Map();
      this.byLength.set(p.length, m);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    const list = m.get(p.network);
    if (list) list.push(value);
    else m.set(p.network, [value]);
    this.count++;
  }

  /** Entries of the longest matching prefix (in insertion order), or null. */
  lookup(addr: Addr): { length: number; values: T[] } | null {
    for (const m of this.matches(addr)) return m;
    return null;
  }

  /**
   * Calls `fn` for each matching prefix, longest first, until it returns something other than
   * undefined; returns that. The allocation-free form of matches().
   */
  firstMatch<R>(addr: Addr, fn: (length: number, values: T[]) => R | undefined): R | undefined {
    if (addr.family !== this.family) return undefined;
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const values = this.byLength.get(len)!.get(addr.value & maskOf(this.family, len));
      if (values) {
        const r = fn(len, values);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  }

  /** Every matching prefix, longest first: what the kernel backtracks through. */
  *matches(addr: Addr): Generator<{ length: number; values: T[] }> {
    if (addr.family !== this.family) return;
    for (const len of this.lengths) {
      const values = this.byLength.get(len)!.get(addr.value & maskOf(this.family, len));
      if (values) yield { length: len, values };
    }
  }
}
