/** Fixed-size bitsets over Uint32 words, for O(N/32) "lowest idle server" queries. */

export function setBit(words: Uint32Array, offset: number, bit: number): void {
  const w = offset + (bit >>> 5);
  words[w] = ((words[w] as number) | (1 << (bit & 31))) >>> 0;
}

export function clearBit(words: Uint32Array, offset: number, bit: number): void {
  const w = offset + (bit >>> 5);
  words[w] = ((words[w] as number) & ~(1 << (bit & 31))) >>> 0;
}

/** Index of the lowest set bit >= `from` in words[offset, offset + length), or -1. */
export function firstSetFrom(words: Uint32Array, offset: number, length: number, from: number): number {
  let w = from >>> 5;
  if (w >= length) return -1;
  let word = ((words[offset + w] as number) & (~0 << (from & 31))) >>> 0;
  for (;;) {
    if (word !== 0) return (w << 5) + lowestBit(word);
    if (++w >= length) return -1;
    word = words[offset + w] as number;
  }
}

/** Index of the n-th (0-based) set bit in words[offset, offset + length), or -1. */
export function nthSet(words: Uint32Array, offset: number, length: number, n: number): number {
  for (let w = 0; w < length; w++) {
    let word = words[offset + w] as number;
    const count = popcount(word);
    if (n >= count) {
      n -= count;
      continue;
    }
    while (n > 0) {
      word &= word - 1;
      n--;
    }
    return (w << 5) + lowestBit(word >>> 0);
  }
  return -1;
}

function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
