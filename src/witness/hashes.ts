/** Compact counters of 64-bit string hashes, so `stats` over millions of lines keeps no string per line. */
/** Counts of 64-bit hashes in typed arrays (open addressing): a million entries cost 24 MB, not a string each. */
export class HashCount64 {
  private table = new BigUint64Array(1 << 12);
  private counts = new Uint32Array(1 << 12);
  size = 0;
  /** Counts one occurrence; returns the hash. */
  add(text: string): bigint {
    const h = BigInt.asUintN(64, BigInt(Bun.hash(text))) || 1n;
    if ((this.size + 1) * 2 > this.table.length) this.grow();
    const i = this.slot(this.table, h);
    if (this.table[i] === 0n) {
      this.table[i] = h;
      this.size += 1;
    }
    this.counts[i]! += 1;
    return h;
  }
  count(h: bigint): number {
    const i = this.slot(this.table, h);
    return this.table[i] === h ? this.counts[i]! : 0;
  }
  private slot(table: BigUint64Array, h: bigint): number {
    const mask = table.length - 1;
    let i = Number(h & BigInt(mask));
    while (table[i] !== 0n && table[i] !== h) i = (i + 1) & mask;
    return i;
  }
  private grow(): void {
    const [table, counts] = [this.table, this.counts];
    this.table = new BigUint64Array(table.length * 2);
    this.counts = new Uint32Array(table.length * 2);
    for (let i = 0; i < table.length; i++) {
      if (table[i] === 0n) continue;
      const j = this.slot(this.table, table[i]!);
      this.table[j] = table[i]!;
      this.counts[j] = counts[i]!;
    }
  }
}

/** A growable array of 64-bit values. */
export class U64List {
  private data = new BigUint64Array(1 << 12);
  length = 0;
  push(v: bigint): void {
    if (this.length === this.data.length) {
      const grown = new BigUint64Array(this.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  at(i: number): bigint {
    return this.data[i]!;
  }
}

/** A set of 64-bit hashes in one typed array (open addressing): a million entries cost 16 MB, not a string each. */
export class HashSet64 {
  private table = new BigUint64Array(1 << 12);
  size = 0;
  add(text: string): void {
    const h = BigInt.asUintN(64, BigInt(Bun.hash(text))) || 1n;
    if ((this.size + 1) * 2 > this.table.length) this.grow();
    if (this.insert(this.table, h)) this.size += 1;
  }
  private insert(table: BigUint64Array, h: bigint): boolean {
    const mask = table.length - 1;
    for (let i = Number(h & BigInt(mask)); ; i = (i + 1) & mask) {
      if (table[i] === 0n) {
        table[i] = h;
        return true;
      }
      if (table[i] === h) return false;
    }
  }
  private grow(): void {
    const next = new BigUint64Array(this.table.length * 2);
    for (const h of this.table) if (h !== 0n) this.insert(next, h);
    this.table = next;
  }
}
