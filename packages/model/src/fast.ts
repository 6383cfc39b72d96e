import type { ObservationLike } from './batch.js';
import { type ModelConfig, type ModelLayout, modelLayout } from './config.js';
import { ObservationLayoutError, ServerCountMismatchError } from './errors.js';
import { gelu } from './internal/gelu.js';
import { LAYER_NORM_EPSILON } from './internal/ops.js';
import type { Network } from './network.js';

/** One observation's outputs; the arrays are reused by the next `forward` call (copy to keep). */
export interface FastOutput {
  /** The state feature (the attention feature h; with several candidates, the mean of their h_k). */
  readonly feature: Float32Array;
  /** Each candidate's attention feature h_k, k x d row-major (k = 1: the same values as `feature`). */
  readonly candidateFeatures: Float32Array;
  /**
   * Raw policy logits, one per action of the observation's own layout: A = k N (+1 with defer),
   * `c N + j` = candidate c on server j, the last = defer; mask them yourself in mask mode. Null
   * without a policy head.
   */
  readonly logits: Float32Array | null;
  /** State value; NaN without a value head. */
  readonly value: number;
  /** Q-values (A, as the logits); null without a Q head. */
  readonly q: Float32Array | null;
}

/** A dense layer prepared for the fast path: W^T (outputs x inputs) as float64, for dot-product loops. */
interface Layer {
  readonly wt: Float64Array;
  readonly b: Float64Array;
  readonly inputs: number;
  readonly outputs: number;
}

interface Norm {
  readonly gamma: Float64Array;
  readonly beta: Float64Array;
}

/** One attention block's layers, looked up once per refresh (not by name per block and candidate). */
interface BlockLayers {
  readonly query: Layer;
  readonly key: Layer;
  readonly value: Layer;
  readonly out: Layer;
  readonly ln1: Norm;
  readonly ffn1: Layer;
  readonly ffn2: Layer;
  readonly ln2: Norm;
}

/**
 * The network's forward pass for one observation over plain typed arrays, for acting. tfjs spends a
 * couple of microseconds per kernel, and a batch-1 decision is ~135 kernels for ~40k FLOPs; this path
 * does the same arithmetic in a few tight loops, with the attention folded as in the tfjs encoder.
 * It reads a snapshot of the weights: call `refresh()` after every update. Tested equal to
 * `Network.apply` within 1e-5.
 */
export class FastNetwork {
  readonly config: ModelConfig;
  readonly layout: ModelLayout;
  private layers = new Map<string, Layer>();
  private norms = new Map<string, Norm>();
  private blocks: BlockLayers[] = [];
  // Scratch (float64: no rounding between steps, one element type for every loop), grown on demand.
  private input: Float64Array = new Float64Array(0);
  private embeddings = new Float64Array(0);
  /** The embeddings transposed (d x n): the attention pooling becomes dot products over servers. */
  private embeddingsT = new Float64Array(0);
  /**
   * The server features each row of `embeddings` was computed from, and how many rows hold (0 after a
   * refresh or a change of n). A server whose features equal its row's gets the same embedding without
   * recomputing it: between consecutive decisions most servers' features do not change, and at large
   * N the server embeddings were a third of a decision's cost.
   */
  private embeddedServers = new Float64Array(0);
  private embeddedRows = 0;
  private scores = new Float64Array(0);
  private logits = new Float32Array(0);
  private q = new Float32Array(0);
  /** Each candidate's h_k (k x d), and as float32 for the output. */
  private candidateH = new Float64Array(0);
  private candidateOut = new Float32Array(0);
  /** The embedded global context (d). */
  private readonly globalEmbedding: Float64Array;
  private readonly x: Float64Array;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly folded: Float64Array;
  private readonly pooled: Float64Array;
  private readonly feature: Float32Array;

  constructor(private readonly network: Network) {
    this.config = network.config;
    this.layout = modelLayout(this.config);
    const c = this.config;
    this.globalEmbedding = new Float64Array(c.embedDim);
    const width = Math.max(c.globalFeatures ?? 0, c.embedDim, c.embedHidden, c.ffnHidden, 2 * Math.max(...c.mlpHidden), ...c.criticHidden, ...c.duelingHidden) + 1;
    this.x = new Float64Array(width);
    this.a = new Float64Array(width);
    this.b = new Float64Array(width);
    this.folded = new Float64Array(c.attentionHeads * c.embedDim);
    this.pooled = new Float64Array(c.attentionHeads * c.embedDim);
    this.feature = new Float32Array(c.encoder === 'mlp' ? 2 * (c.mlpHidden[c.mlpHidden.length - 1] as number) : c.embedDim);
    this.refresh();
  }

  /** Re-reads the network's current weights. */
  refresh(): void {
    this.embeddedRows = 0;
    const weights = this.network.params.read();
    const names = this.network.params.names();
    const variables = this.network.params.list();
    this.layers = new Map();
    this.norms = new Map();
    names.forEach((name, index) => {
      if (name.endsWith('/w')) {
        const layerName = name.slice(0, -2);
        const [inputs, outputs] = (variables[index] as { shape: number[] }).shape as [number, number];
        const w = weights.get(name) as Float32Array;
        const wt = new Float64Array(w.length);
        for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) wt[o * inputs + i] = w[i * outputs + o] as number;
        const bias = weights.get(`${layerName}/b`);
        this.layers.set(layerName, { wt, b: bias === undefined ? new Float64Array(outputs) : Float64Array.from(bias), inputs, outputs });
      } else if (name.endsWith('/gamma')) {
        const normName = name.slice(0, -6);
        this.norms.set(normName, {
          gamma: Float64Array.from(weights.get(name) as Float32Array),
          beta: Float64Array.from(weights.get(`${normName}/beta`) as Float32Array),
        });
      }
    });
    this.blocks = [];
    if (this.config.encoder !== 'cross-attention') return;
    for (let k = 0; k < this.config.blocks; k++) {
      const p = `encoder/block${k}`;
      const norm = (name: string): Norm => {
        const found = this.norms.get(`${p}/${name}`);
        if (found === undefined) throw new Error(`no layer norm ${p}/${name}`);
        return found;
      };
      this.blocks.push({
        query: this.layer(`${p}/query`),
        key: this.layer(`${p}/key`),
        value: this.layer(`${p}/value`),
        out: this.layer(`${p}/out`),
        ln1: norm('ln1'),
        ffn1: this.layer(`${p}/ffn1`),
        ffn2: this.layer(`${p}/ffn2`),
        ln2: norm('ln2'),
      });
    }
  }

  private layer(name: string): Layer {
    const layer = this.layers.get(name);
    if (layer === undefined) throw new Error(`no layer ${name}`);
    return layer;
  }

  forward(obs: ObservationLike): FastOutput {
    const c = this.config;
    const n = obs.n;
    if (c.encoder === 'mlp' && n !== c.servers) throw new ServerCountMismatchError(c.servers as number, n);
    const k = obs.k ?? 1;
    const defer = this.layout.defer;
    checkObservation(this.layout, c.taskFeatures, obs, k);
    const actions = k * n + (defer ? 1 : 0);
    if (this.logits.length < actions) {
      this.logits = new Float32Array(actions);
      this.q = new Float32Array(actions);
    }
    const d = c.embedDim;
    if (this.candidateH.length < k * d) {
      this.candidateH = new Float64Array(k * d);
      this.candidateOut = new Float32Array(k * d);
    }
    const taskLength = k * c.taskFeatures;
    const inputLength = taskLength + n * c.serverFeatures;
    if (this.input.length < inputLength) this.input = new Float64Array(inputLength);
    const input = this.input;
    const tasks = obs.tasks ?? obs.task;
    for (let i = 0; i < taskLength; i++) input[i] = tasks[i] as number;
    for (let i = 0; i < n * c.serverFeatures; i++) input[taskLength + i] = obs.servers[i] as number;

    const E = c.encoder === 'cross-attention' ? this.crossAttention(n, k, obs.global) : this.mlpEncoder();
    const h = this.x;
    const featureSize = this.feature.length;
    for (let i = 0; i < featureSize; i++) this.feature[i] = h[i] as number;
    const H = this.candidateH;
    let candidateFeatures = this.feature;
    if (E !== null && k > 1) {
      candidateFeatures = this.candidateOut.subarray(0, k * d);
      for (let i = 0; i < k * d; i++) candidateFeatures[i] = H[i] as number;
    }
    const pairs = obs.pairs;
    const { a, b } = this;
    let logits: Float32Array | null = null;
    let value = Number.NaN;
    let q: Float32Array | null = null;
    if (c.outputs.policy) {
      logits = this.logits.subarray(0, actions);
      if (E === null) {
        dense(this.layer('policy/out'), h, 0, a, 0, false);
        for (let j = 0; j < n; j++) logits[j] = a[j] as number;
      } else {
        const query = this.layer('policy/query');
        const key = this.layer('policy/key');
        const pairWeight = pairs === undefined ? 0 : (this.layer('policy/pair').wt[0] as number);
        for (let t = 0; t < k; t++) {
          dense(query, H, t * d, a, 0, false);
          // u = W_k query / sqrt(d), then logit_j = e_j . u
          foldKey(key, a, 1 / Math.sqrt(d), b);
          const row = t * n;
          if (pairs === undefined) for (let j = 0; j < n; j++) logits[row + j] = dot(E, j * d, b, 0, d);
          else for (let j = 0; j < n; j++) logits[row + j] = dot(E, j * d, b, 0, d) + pairWeight * (pairs[row + j] as number);
        }
        if (defer) logits[k * n] = this.mlpOut('policy/defer', 2, h);
      }
    }
    if (c.outputs.value) value = this.mlpOut('value', c.criticHidden.length + 1, h);
    if (c.outputs.q) {
      q = this.q.subarray(0, actions);
      const v = this.mlpOut('q/value', c.duelingHidden.length + 1, h);
      if (E === null) {
        const layers = c.duelingHidden.length + 1;
        let from = h;
        for (let i = 0; i < layers; i++) {
          const to = i % 2 === 0 ? a : b;
          dense(this.layer(`q/advantage/${i}`), from, 0, to, 0, i + 1 < layers);
          from = to;
        }
        let mean = 0;
        for (let j = 0; j < n; j++) mean += from[j] as number;
        mean /= n;
        for (let j = 0; j < n; j++) q[j] = v + (from[j] as number) - mean;
      } else {
        const query = this.layer('q/query');
        const key = this.layer('q/key');
        const scale = 1 / Math.sqrt(d);
        const pairWeight = pairs === undefined ? 0 : (this.layer('q/pair').wt[0] as number);
        for (let t = 0; t < k; t++) {
          dense(query, H, t * d, a, 0, false);
          foldKey(key, a, 1, b);
          const bias = dot(key.b, 0, a, 0, d);
          const row = t * n;
          if (pairs === undefined) for (let j = 0; j < n; j++) q[row + j] = v + (dot(E, j * d, b, 0, d) + bias) * scale;
          else for (let j = 0; j < n; j++) q[row + j] = v + (dot(E, j * d, b, 0, d) + bias) * scale + pairWeight * (pairs[row + j] as number);
        }
        if (defer) q[k * n] = v + this.mlpOut('q/defer', c.duelingHidden.length + 1, h);
      }
    }
    return { feature: this.feature, candidateFeatures, logits, value, q };
  }

  /** Runs MLP `name` (ReLU hidden layers) on `from` and returns its single output. */
  private mlpOut(name: string, layers: number, from: Float64Array): number {
    let x = from;
    for (let i = 0; i < layers; i++) {
      const to = i % 2 === 0 ? this.a : this.b;
      dense(this.layer(`${name}/${i}`), x, 0, to, 0, i + 1 < layers);
      x = to;
    }
    return x[0] as number;
  }

  /**
   * Cross-attention encoder on `input` (k candidates' task features, then the servers'): leaves each
   * candidate's h_k in `candidateH` and the state feature (h, or the mean of the h_k) in `x`, and
   * returns the server embeddings (n x d). The candidates run one after another through the blocks
   * on the shared embeddings; with k = 1 it is the paper's single query, step for step.
   */
  private crossAttention(n: number, k: number, global: Float32Array | undefined): Float64Array {
    const c = this.config;
    const d = c.embedDim;
    if (this.embeddings.length < n * d) {
      this.embeddings = new Float64Array(n * d);
      this.embeddedRows = 0;
    }
    if (this.embeddingsT.length !== n * d) {
      this.embeddingsT = new Float64Array(n * d);
      this.embeddedRows = 0;
    }
    const SF = c.serverFeatures;
    if (this.embeddedServers.length < n * SF) {
      this.embeddedServers = new Float64Array(n * SF);
      this.embeddedRows = 0;
    }
    if (this.scores.length < n * c.attentionHeads) this.scores = new Float64Array(n * c.attentionHeads);
    const { embeddings: E, embeddingsT: ET, x, a, input, candidateH, globalEmbedding } = this;
    const serverOffset = k * c.taskFeatures;
    const s0 = this.layer('encoder/server_embed/0');
    const s1 = this.layer('encoder/server_embed/1');
    const embedded = this.embeddedServers;
    for (let j = 0; j < n; j++) {
      const from = serverOffset + j * SF;
      let same = j < this.embeddedRows;
      for (let f = 0; same && f < SF; f++) same = input[from + f] === embedded[j * SF + f];
      if (same) continue;
      for (let f = 0; f < SF; f++) embedded[j * SF + f] = input[from + f] as number;
      dense(s0, input, from, a, 0, true);
      dense(s1, a, 0, E, j * d, false);
      for (let i = 0; i < d; i++) ET[i * n + j] = E[j * d + i] as number;
    }
    this.embeddedRows = n;
    if (global !== undefined) {
      for (let i = 0; i < global.length; i++) this.b[i] = global[i] as number;
      dense(this.layer('encoder/global_embed/0'), this.b, 0, a, 0, true);
      dense(this.layer('encoder/global_embed/1'), a, 0, globalEmbedding, 0, false);
    }
    const t0 = this.layer('encoder/task_embed/0');
    const t1 = this.layer('encoder/task_embed/1');
    for (let t = 0; t < k; t++) {
      // Embeddings: a 2-layer ReLU MLP, plus the embedded global context.
      dense(t0, input, t * c.taskFeatures, a, 0, true);
      dense(t1, a, 0, x, 0, false);
      if (global !== undefined) for (let i = 0; i < d; i++) x[i] = (x[i] as number) + (globalEmbedding[i] as number);
      this.attentionBlocks(n);
      for (let i = 0; i < d; i++) candidateH[t * d + i] = x[i] as number;
    }
    if (k > 1) {
      // The state feature: the mean of the candidates' h_k.
      for (let i = 0; i < d; i++) {
        let sum = 0;
        for (let t = 0; t < k; t++) sum += candidateH[t * d + i] as number;
        x[i] = sum / k;
      }
    }
    return E;
  }

  /** The attention blocks on the query in `x` over the embeddings; leaves h in `x`. */
  private attentionBlocks(n: number): void {
    const c = this.config;
    const d = c.embedDim;
    const H = c.attentionHeads;
    const headDim = d / H;
    const { embeddings: E, embeddingsT: ET, x, a, b, folded, pooled, scores } = this;
    const scale = 1 / Math.sqrt(headDim);
    for (let k = 0; k < c.blocks; k++) {
      const block = this.blocks[k] as BlockLayers;
      dense(block.query, x, 0, a, 0, false);
      // Folded keys per head: folded[h] = W_k[:, head h] q_h / sqrt(d_head) (W_k^T stored row per output).
      const key = block.key.wt;
      folded.fill(0);
      for (let h = 0; h < H; h++) {
        for (let t = h * headDim; t < (h + 1) * headDim; t++) {
          const qt = (a[t] as number) * scale;
          const row = t * d;
          for (let i = 0; i < d; i++) folded[h * d + i] = (folded[h * d + i] as number) + (key[row + i] as number) * qt;
        }
      }
      // Scores of every head, one pass over the servers; then a softmax per head.
      for (let j = 0; j < n; j++) for (let h = 0; h < H; h++) scores[h * n + j] = dot(E, j * d, folded, h * d, d);
      for (let h = 0; h < H; h++) {
        let max = -Infinity;
        for (let j = h * n; j < (h + 1) * n; j++) if ((scores[j] as number) > max) max = scores[j] as number;
        let total = 0;
        for (let j = h * n; j < (h + 1) * n; j++) {
          const e = Math.exp((scores[j] as number) - max);
          scores[j] = e;
          total += e;
        }
        for (let j = h * n; j < (h + 1) * n; j++) scores[j] = (scores[j] as number) / total;
      }
      // pooled[h] = sum_j a_hj e_j
      for (let h = 0; h < H; h++) for (let i = 0; i < d; i++) pooled[h * d + i] = dot(scores, h * n, ET, i * n, n);
      // Head h's output slice: pooled_h W_v[:, head h] + b_v.
      const value = block.value;
      for (let h = 0; h < H; h++) {
        for (let t = h * headDim; t < (h + 1) * headDim; t++) b[t] = (value.b[t] as number) + dot(value.wt, t * d, pooled, h * d, d);
      }
      dense(block.out, b, 0, a, 0, false);
      for (let i = 0; i < d; i++) a[i] = (a[i] as number) + (x[i] as number);
      layerNorm(block.ln1, a, x, d);
      const ffn1 = block.ffn1;
      dense(ffn1, x, 0, b, 0, false);
      for (let i = 0; i < ffn1.outputs; i++) b[i] = gelu(b[i] as number);
      dense(block.ffn2, b, 0, a, 0, false);
      for (let i = 0; i < d; i++) a[i] = (a[i] as number) + (x[i] as number);
      layerNorm(block.ln2, a, x, d);
    }
  }

  /** Structured MLP encoder on `input`; leaves the feature (task half, then server half) in `x`. */
  private mlpEncoder(): null {
    const c = this.config;
    const layers = c.mlpHidden.length;
    const half = c.mlpHidden[layers - 1] as number;
    const run = (name: string, offset: number, outOff: number): void => {
      let from: Float64Array = this.input;
      let fromOff = offset;
      for (let i = 0; i < layers; i++) {
        const last = i + 1 === layers;
        const to = last ? this.x : i % 2 === 0 ? this.a : this.b;
        dense(this.layer(`${name}/${i}`), from, fromOff, to, last ? outOff : 0, true);
        from = to;
        fromOff = 0;
      }
    };
    run('encoder/task', 0, 0);
    run('encoder/servers', c.taskFeatures, half);
    return null;
  }


}

/** Refuses an observation the network's config does not read, naming the field (a few comparisons). */
function checkObservation(layout: ModelLayout, taskFeatures: number, obs: ObservationLike, k: number): void {
  if (k > layout.candidates || !Number.isInteger(k) || k < 1) {
    throw new ObservationLayoutError('observation', 'k', layout.actions === 'server' ? '1 (actions: server)' : `an integer in [1, ${layout.candidates}] (model.candidates)`, `${k}`);
  }
  const tasks = obs.tasks?.length ?? (k === 1 ? taskFeatures : 0);
  if (tasks !== k * taskFeatures) throw new ObservationLayoutError('observation', 'tasks', `k * ${taskFeatures} = ${k * taskFeatures} values`, `${obs.tasks?.length ?? 'none'}`);
  const defer = obs.defer === true;
  if (defer !== layout.defer) throw new ObservationLayoutError('observation', 'defer', `${layout.defer} (model.defer)`, `${defer}`);
  const globalFeatures = obs.global?.length ?? 0;
  if (globalFeatures !== layout.globalFeatures) throw new ObservationLayoutError('observation', 'global', `${layout.globalFeatures} values (model.globalFeatures)`, `${globalFeatures}`);
  const pairs = obs.pairs?.length ?? 0;
  if (pairs !== k * obs.n * layout.pairFeatures) throw new ObservationLayoutError('observation', 'pairs', `k * n * ${layout.pairFeatures} = ${k * obs.n * layout.pairFeatures} values (model.pairFeatures)`, `${pairs}`);
}

/** LayerNorm of `from` (d values) into `to`. */
function layerNorm(norm: Norm, from: Float64Array, to: Float64Array, d: number): void {
  const { gamma, beta } = norm;
  let mean = 0;
  for (let i = 0; i < d; i++) mean += from[i] as number;
  mean /= d;
  let variance = 0;
  for (let i = 0; i < d; i++) {
    const z = (from[i] as number) - mean;
    variance += z * z;
  }
  const inv = 1 / Math.sqrt(variance / d + LAYER_NORM_EPSILON);
  for (let i = 0; i < d; i++) to[i] = ((from[i] as number) - mean) * inv * (gamma[i] as number) + (beta[i] as number);
}

/** to[o] = b[o] + sum_i from[i] W[i, o], optionally ReLU. */
function dense(layer: Layer, from: Float64Array, fromOff: number, to: Float64Array, toOff: number, relu: boolean): void {
  const { wt, b, inputs, outputs } = layer;
  for (let o = 0; o < outputs; o++) {
    const s = (b[o] as number) + dot(wt, o * inputs, from, fromOff, inputs);
    to[toOff + o] = relu && s < 0 ? 0 : s;
  }
}

/** to[i] = scale * sum_k W[i, k] v[k]: a key projection folded onto a query (W^T stored row per output k). */
function foldKey(layer: Layer, v: Float64Array, scale: number, to: Float64Array): void {
  const { wt, inputs, outputs } = layer;
  for (let i = 0; i < inputs; i++) to[i] = 0;
  for (let k = 0; k < outputs; k++) {
    const vk = (v[k] as number) * scale;
    const row = k * inputs;
    for (let i = 0; i < inputs; i++) to[i] = (to[i] as number) + (wt[row + i] as number) * vk;
  }
}

/** A dot product with four independent accumulators (instruction-level parallelism, ~1.5x here). */
function dot(a: Float64Array, aOff: number, b: Float64Array, bOff: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += (a[aOff + i] as number) * (b[bOff + i] as number);
    s1 += (a[aOff + i + 1] as number) * (b[bOff + i + 1] as number);
    s2 += (a[aOff + i + 2] as number) * (b[bOff + i + 2] as number);
    s3 += (a[aOff + i + 3] as number) * (b[bOff + i + 3] as number);
  }
  for (; i < length; i++) s0 += (a[aOff + i] as number) * (b[bOff + i] as number);
  return s0 + s1 + (s2 + s3);
}
