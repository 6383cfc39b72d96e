import { ConfigError } from './errors.js';

/**
 * The project's one source of randomness: xoshiro128** (Blackman and Vigna), 32-bit words so every
 * step is a few `Math.imul`s, with labelled child streams.
 *
 * A child stream depends only on its parent's *seed key* and its label, never on how many numbers the
 * parent has drawn. So `rng.child('arrivals')` gives the same numbers whether or not the DAG stream
 * has been used, and adding a consumer never shifts another one's draws.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The 64-bit key (two words) this stream was seeded from; children derive theirs from it. */
  private key0 = 0;
  private key1 = 0;

  /** `seed`: any safe integer (negative allowed). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new ConfigError('seed', 'a safe integer', seed);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    this.key0 = fmix32(lo ^ 0x9e3779b9);
    this.key1 = fmix32(hi ^ Math.imul(this.key0, 0x85ebca6b) ^ 0x6a09e667);
    this.seedState();
  }

  private static fromKey(key0: number, key1: number): Rng {
    const rng = Object.create(Rng.prototype) as Rng;
    rng.key0 = key0;
    rng.key1 = key1;
    rng.s0 = rng.s1 = rng.s2 = rng.s3 = 0;
    rng.seedState();
    return rng;
  }

  private seedState(): void {
    // splitmix32 over the key expands it into four non-zero state words.
    let x = this.key0 ^ Math.imul(this.key1, 0x27d4eb2f);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next() ^ this.key1;
    this.s1 = next();
    this.s2 = next() ^ this.key0;
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent stream named `label`, reproducible from this stream's seed alone. */
  child(label: string | number): Rng {
    const h = fnv1a(String(label));
    const k0 = fmix32(this.key0 ^ h);
    const k1 = fmix32(this.key1 ^ Math.imul(h, 0x9e3779b1) ^ k0);
    return Rng.fromKey(k0, k1);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (both inclusive), unbiased (rejection sampling). */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || span < 1 || span > 0x100000000) {
      throw new ConfigError('int(lo, hi)', 'integers with lo <= hi and hi - lo < 2^32', [lo, hi]);
    }
    if (span === 0x100000000) return lo + this.nextUint32();
    const limit = 0x100000000 - (0x100000000 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % span);
  }

  /** Normal deviate (Marsaglia's polar method; no cached second value, so state is just four words). */
  normal(mean = 0, sd = 1): number {
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    return mean + sd * u * Math.sqrt((-2 * Math.log(s)) / s);
  }

  /** Exponential deviate with the given mean (inverse CDF on (0, 1]). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A uniformly random element. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ConfigError('pick(items)', 'a non-empty array', items);
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Fisher-Yates shuffle, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** `k` distinct integers from [0, n), in the order drawn (partial Fisher-Yates). */
  sampleDistinct(n: number, k: number): number[] {
    if (k > n) throw new ConfigError('sampleDistinct(n, k)', 'k <= n', [n, k]);
    const pool = Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const j = this.int(i, n - 1);
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
      out.push(pool[i] as number);
    }
    return out;
  }

  /** The full generator state, for checkpoints. */
  getState(): RngState {
    return { key: [this.key0, this.key1], state: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** A generator continuing exactly where `state` was taken. */
  static fromState(state: RngState): Rng {
    const rng = Rng.fromKey(state.key[0] >>> 0, state.key[1] >>> 0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.state.map((w) => w >>> 0) as [number, number, number, number];
    return rng;
  }
}

export interface RngState {
  readonly key: readonly [number, number];
  readonly state: readonly [number, number, number, number];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** murmur3's 32-bit finalizer: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
