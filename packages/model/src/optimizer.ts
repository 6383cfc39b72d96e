import * as tf from '@tensorflow/tfjs';

/** Adam's hyperparameters (PPO defaults from DESIGN.md section 3: eps 1e-5). */
export interface AdamOptions {
  /** Exponential decay of the first moment. */
  readonly beta1?: number;
  /** Exponential decay of the second moment. */
  readonly beta2?: number;
  /** Added to sqrt(v) for stability (PPO: 1e-5, as in CleanRL). */
  readonly epsilon?: number;
  /** Rescale gradients whose global L2 norm exceeds this (PPO: 0.5); null for no clipping. */
  readonly maxGradNorm?: number | null;
}

/**
 * Tensors flattened and concatenated into one Float32Array, e.g. a network's gradients in its
 * variables' order, as `PackedAdam.applyFlat` takes them. Each is read back in turn (no tfjs op: a
 * reshape per tensor and a concat cost more in dispatch than the copies).
 */
export function packTensors(tensors: readonly tf.Tensor[]): Float32Array {
  const packed = new Float32Array(tensors.reduce((total, t) => total + t.size, 0));
  let offset = 0;
  for (const t of tensors) {
    packed.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return packed;
}

/** Adam's moments and step count as plain arrays (for checkpoints). */
export interface AdamState {
  readonly step: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/** What one optimizer step did. */
export interface AdamStepResult {
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
}

/**
 * Adam over all of a network's parameters packed into one Float32Array. tfjs's own Adam runs ~15
 * kernels per variable per step (about 700 for this network), each costing a few microseconds of
 * dispatch; here the gradients are read back once (one concat), clipping and the update are plain
 * loops, and each variable is written once. Same update rule as `tf.train.adam` / `torch.optim.Adam`:
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *   theta <- theta - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
export class PackedAdam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly maxGradNorm: number | null;
  private readonly offsets: number[] = [];
  private readonly params: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private step = 0;

  constructor(
    private readonly variables: readonly tf.Variable[],
    options: AdamOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.maxGradNorm = options.maxGradNorm ?? null;
    let total = 0;
    for (const variable of variables) {
      this.offsets.push(total);
      total += variable.size;
    }
    this.params = new Float32Array(total);
    this.m = new Float32Array(total);
    this.v = new Float32Array(total);
    this.syncFromVariables();
  }

  /** Re-reads parameter values (call after loading weights into the variables). */
  syncFromVariables(): void {
    this.variables.forEach((variable, i) => {
      this.params.set(variable.dataSync() as Float32Array, this.offsets[i]);
    });
  }

  /**
   * Applies one update. `grads` are in the order of the variables given to the constructor (the
   * order `tf.variableGrads(f, variables)` returns them by name; pass `variables.map(v => grads[v.name])`).
   * The gradient tensors are not disposed.
   */
  apply(grads: readonly tf.Tensor[], learningRate: number): AdamStepResult {
    if (grads.length !== this.variables.length) throw new RangeError(`PackedAdam: expected ${this.variables.length} gradients, received ${grads.length}`);
    return this.applyFlat(packTensors(grads), learningRate);
  }

  /**
   * Applies one update from gradients already packed in the variables' order (`size` values), e.g.
   * summed over data-parallel shards.
   */
  applyFlat(g: Float32Array, learningRate: number): AdamStepResult {
    if (g.length !== this.params.length) throw new RangeError(`PackedAdam: expected ${this.params.length} packed gradient values, received ${g.length}`);
    let sumSquares = 0;
    for (let i = 0; i < g.length; i++) sumSquares += (g[i] as number) * (g[i] as number);
    const gradNorm = Math.sqrt(sumSquares);
    // torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when the norm exceeds max.
    const clip = this.maxGradNorm !== null && gradNorm > this.maxGradNorm ? this.maxGradNorm / (gradNorm + 1e-6) : 1;
    this.step += 1;
    const { beta1, beta2, epsilon, m, v, params } = this;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const stepSize = learningRate / correction1;
    const rootCorrection2 = Math.sqrt(correction2);
    for (let i = 0; i < g.length; i++) {
      const gi = (g[i] as number) * clip;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      params[i] = (params[i] as number) - (stepSize * mi) / (Math.sqrt(vi) / rootCorrection2 + epsilon);
    }
    this.variables.forEach((variable, i) => {
      const offset = this.offsets[i] as number;
      tf.tidy(() => variable.assign(tf.tensor(params.subarray(offset, offset + variable.size), variable.shape, 'float32')));
    });
    return { gradNorm };
  }

  /** Parameter count of all the variables together. */
  get size(): number {
    return this.params.length;
  }

  /** The packed parameter values after the last update (a read-only view; do not write). */
  get parameters(): Float32Array {
    return this.params;
  }

  getState(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError(`PackedAdam.setState: expected moments of ${this.m.length} values, received ${state.m.length} and ${state.v.length}`);
    }
    this.step = state.step;
    this.m = state.m.slice();
    this.v = state.v.slice();
    this.syncFromVariables();
  }
}
