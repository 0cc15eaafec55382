import { createHash } from "node:crypto";

/**
 * A set of ids held as 128-bit fingerprints in one typed array (16 bytes a slot, open addressing), so a merge
 * of a million examples dedupes in ~32 MB instead of a million strings. Fingerprints are sha256 prefixes:
 * two different ids collide with probability ~n²/2¹²⁹.
 */
export class IdSet {
  private slots = new Uint32Array(4 * 1024);
  private used = 0;
  get size(): number {
    return this.used;
  }
  /** Adds an id; false when it was already there. */
  add(id: string): boolean {
    const d = createHash("sha256").update(id).digest();
    const fp = [d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12) | 1] as const; // never all zero
    if ((this.used + 1) * 2 > this.slots.length / 4) this.grow();
    if (!this.insert(fp)) return false;
    this.used++;
    return true;
  }
  private insert(fp: readonly [number, number, number, number]): boolean {
    const mask = this.slots.length / 4 - 1;
    for (let i = fp[0] & mask; ; i = (i + 1) & mask) {
      const at = i * 4;
      if (this.slots[at + 3] === 0) {
        this.slots.set(fp, at);
        return true;
      }
      if (this.slots[at] === fp[0] && this.slots[at + 1] === fp[1] && this.slots[at + 2] === fp[2] && this.slots[at + 3] === fp[3]) return false;
    }
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 4) if (old[at + 3] !== 0) this.insert([old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!]);
  }
}
