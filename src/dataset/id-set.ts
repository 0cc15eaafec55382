const HEX = /^[0-9a-f]{1,24}$/;

/** Four 32-bit FNV-1a style hashes of a string (different bases), finished with a murmur3 mix. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A set of ids held as 128-bit keys in one typed array (16 bytes a slot, open addressing, no object per id),
 * so a merge of a million examples dedupes in ~32 MB. Hex ids of up to 24 digits (sekft's own ids) are
 * stored exactly; longer ids by a 128-bit hash.
 */
export class IdSet {
  private slots = new Uint32Array(4 * 1024);
  private used = 0;
  private readonly key = new Uint32Array(4);
  get size(): number {
    return this.used;
  }
  /** Adds an id; false when it was already there. */
  add(id: string): boolean {
    const k = this.key;
    if (HEX.test(id)) {
      const padded = id.padStart(24, "0");
      k[0] = Number.parseInt(padded.slice(0, 8), 16);
      k[1] = Number.parseInt(padded.slice(8, 16), 16);
      k[2] = Number.parseInt(padded.slice(16, 24), 16);
      k[3] = 0x80000000 | id.length; // exact keys and hashed keys never meet
    } else {
      let a = 0x811c9dc5;
      let b = 0x01000193;
      let c = 0x9e3779b9;
      let d = 0x7f4a7c15;
      for (let i = 0; i < id.length; i++) {
        const ch = id.charCodeAt(i);
        a = Math.imul(a ^ ch, 0x01000193);
        b = Math.imul(b ^ ch, 0x5bd1e995);
        c = Math.imul(c ^ ch, 0x27d4eb2d);
        d = Math.imul(d ^ ch, 0x165667b1);
      }
      k[0] = mix(a ^ id.length);
      k[1] = mix(b);
      k[2] = mix(c);
      k[3] = (mix(d) & 0x7fffffff) | 1;
    }
    if ((this.used + 1) * 2 > this.slots.length / 4) this.grow();
    if (!this.insert(this.slots, k)) return false;
    this.used++;
    return true;
  }
  private insert(slots: Uint32Array, k: Uint32Array): boolean {
    const mask = slots.length / 4 - 1;
    for (let i = mix(k[0]! ^ k[1]! ^ k[2]!) & mask; ; i = (i + 1) & mask) {
      const at = i * 4;
      if (slots[at + 3] === 0) {
        slots.set(k, at);
        return true;
      }
      if (slots[at] === k[0] && slots[at + 1] === k[1] && slots[at + 2] === k[2] && slots[at + 3] === k[3]) return false;
    }
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 4) if (old[at + 3] !== 0) this.insert(this.slots, old.subarray(at, at + 4));
  }
}
