import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';

/** How a parameter starts: Glorot-uniform weights (scaled by `gain`), zeros, or ones. */
export type Initializer = { kind: 'glorot'; gain?: number } | { kind: 'zeros' } | { kind: 'ones' };

/**
 * The named trainable parameters of one network, in creation order. Initial values come from the
 * project's RNG (never tfjs's global one), so the same seed gives the same network on every backend.
 */
export class ParameterStore {
  private readonly variables = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  private disposed = false;

  constructor(seed: number) {
    this.rng = new Rng(seed).child('parameters');
  }

  /** Creates parameter `name` (unique) of `shape`. */
  create(name: string, shape: number[], init: Initializer): tf.Variable {
    if (this.variables.has(name)) throw new Error(`parameter ${name} already exists`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === 'ones') values.fill(1);
    else if (init.kind === 'glorot') {
      const fanIn = shape.length > 1 ? (shape[0] as number) : 1;
      const fanOut = shape[shape.length - 1] as number;
      const limit = (init.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) values[i] = (2 * this.rng.next() - 1) * limit;
    }
    // Variable names are global in tfjs; a unique suffix lets many networks coexist.
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, true, `${name}#${nextVariableId++}`);
    initial.dispose();
    this.variables.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (variable === undefined) throw new Error(`no parameter ${name}`);
    return variable;
  }

  names(): string[] {
    return [...this.variables.keys()];
  }

  list(): tf.Variable[] {
    return [...this.variables.values()];
  }

  /** Total number of scalar parameters. */
  get size(): number {
    let total = 0;
    for (const v of this.variables.values()) total += v.size;
    return total;
  }

  /** A copy of every parameter's values, by name (synchronous read). */
  read(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.variables) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  /** Overwrites parameters from `values`; every parameter must be present with its exact shape. */
  write(values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
    for (const [name, v] of this.variables) {
      const entry = values.get(name);
      if (entry === undefined) throw new Error(`missing parameter ${name}`);
      if (entry.shape.length !== v.shape.length || entry.shape.some((s, i) => s !== v.shape[i])) {
        throw new Error(`parameter ${name}: expected shape [${v.shape.join(', ')}], received [${entry.shape.join(', ')}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(entry.data, v.shape, 'float32')));
    }
  }

  /** Copies every parameter value from `other` (same names and shapes): target networks. */
  copyFrom(other: ParameterStore, tau = 1): void {
    tf.tidy(() => {
      for (const [name, v] of this.variables) {
        const source = other.get(name);
        v.assign(tau === 1 ? source : tf.add(tf.mul(tau, source), tf.mul(1 - tau, v)));
      }
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

let nextVariableId = 0;
