import * as tf from '@tensorflow/tfjs';
import { KernelInputError } from '../errors.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';
import { shareSavedTensors } from './saved-tensors.js';

/**
 * SCALE-TS's own tfjs kernels for the wasm backend:
 * - in `kernels.wat` (WebAssembly SIMD): matrix products in every batch/transpose layout the network
 *   and its gradients use, dense layers (`x W + b`, optional ReLU) as one op, and the row sums of
 *   bias gradients;
 * - here (plain loops over a few thousand values): LayerNorm and GELU, forward and backward, one
 *   kernel each, where tfjs's composites spent about 25 and 15 ops.
 * They run inside tfjs's autodiff like any op (each has a registered gradient) and read and write
 * the tfjs-wasm heap in place. On any other backend the same ops fall back to tfjs's own.
 */
export const SCALE_MAT_MUL = 'ScaleMatMul';
export const SCALE_SUM_ROWS = 'ScaleSumRows';
export const SCALE_DENSE = 'ScaleDense';
export const SCALE_RELU_BACKWARD = 'ScaleReluBackward';
export const SCALE_LAYER_NORM = 'ScaleLayerNorm';
export const SCALE_LAYER_NORM_GRAD = 'ScaleLayerNormGrad';
export const SCALE_GELU = 'ScaleGelu';
export const SCALE_GELU_GRAD = 'ScaleGeluGrad';
export const SCALE_SEGMENT_MAT_MUL = 'ScaleSegmentMatMul';
export const SCALE_SEGMENT_OUTER = 'ScaleSegmentOuter';
export const SCALE_MASKED_HEAD_SUM = 'ScaleMaskedHeadSum';
export const SCALE_HEAD_SPREAD = 'ScaleHeadSpread';
export const SCALE_HEAD_FOLD = 'ScaleHeadFold';
export const SCALE_HEAD_FOLD_GRAD = 'ScaleHeadFoldGrad';
export const SCALE_HEAD_PROJECT = 'ScaleHeadProject';
export const SCALE_HEAD_PROJECT_GRAD = 'ScaleHeadProjectGrad';

interface KernelExports {
  matmulRows(a: number, b: number, out: number, batch: number, m: number, k: number, n: number, aBatch: number, bBatch: number, aRow: number, aCol: number): void;
  matmulDots(a: number, b: number, out: number, batch: number, m: number, k: number, n: number, aBatch: number, bBatch: number): void;
  sumRows(x: number, out: number, rows: number, cols: number): void;
  transpose(x: number, out: number, batch: number, rows: number, cols: number): void;
  biasActivation(out: number, bias: number, rows: number, cols: number, relu: number): void;
  reluBackward(dy: number, y: number, out: number, size: number): void;
  gelu(x: number, out: number, phi: number, size: number): void;
  geluBackward(dy: number, x: number, phi: number, dx: number, size: number): void;
  layerNorm(x: number, gamma: number, beta: number, out: number, rows: number, width: number, epsilon: number): void;
  layerNormBackward(dy: number, x: number, gamma: number, dx: number, dgamma: number, dbeta: number, sums: number, rows: number, width: number, epsilon: number): void;
  maskedHeadSum(x: number, mask: number, out: number, rows: number, heads: number, width: number): void;
  headSpread(x: number, mask: number, out: number, rows: number, heads: number, width: number): void;
  headFold(q: number, sel: number, wT: number, out: number, rows: number, heads: number, width: number, n: number): void;
  headFoldBackQuery(dG: number, sel: number, w: number, dq: number, rows: number, heads: number, width: number, n: number): void;
  headFoldBackKey(dG: number, q: number, sel: number, dw: number, rows: number, heads: number, width: number, n: number): void;
  headProject(p: number, w: number, out: number, rows: number, heads: number, m: number, width: number): void;
  headProjectBackInput(dy: number, wT: number, dp: number, rows: number, heads: number, m: number, width: number): void;
  headProjectBackWeight(p: number, dy: number, dw: number, rows: number, heads: number, m: number, width: number): void;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use (its heap and tensor table). */
interface WasmBackendInternals {
  readonly wasm?: { readonly asm?: { readonly memory?: unknown }; readonly HEAPF32?: Float32Array };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** The slice of the WebAssembly JS API used here (neither the ES libs nor @types/node 20 declare it). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  Memory: abstract new (...args: never[]) => object;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The compiled module; null where the engine lacks WebAssembly SIMD (tfjs's own kernels then run). */
let compiled: object | null | undefined;
/** One instance per tfjs-wasm heap (a re-initialised backend brings a new one). */
const instances = new WeakMap<object, KernelExports | null>();
let registered = false;

function kernelModule(): object | null {
  if (compiled === undefined) {
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
    compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return compiled;
}

/**
 * The kernels bound to a backend's heap, or null where they cannot run: not a tfjs-wasm backend
 * that exposes its `WebAssembly.Memory`, an engine without WebAssembly SIMD, or a heap the module
 * cannot import (tfjs-wasm's threaded build in a browser shares its memory). tfjs's own ops then run.
 */
export function kernelsFor(backend: unknown): KernelExports | null {
  const memory = (backend as WasmBackendInternals).wasm?.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const module = kernelModule();
    try {
      kernels = module === null ? null : (new wasmApi.Instance(module, { env: { memory } }).exports as KernelExports);
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

function exportsFor(backend: WasmBackendInternals): KernelExports {
  return kernelsFor(backend) as KernelExports; // the ops dispatch here only when trainingKernelsActive()
}

/** A tensor's byte offset in the tfjs-wasm heap. */
function offsetOf(backend: WasmBackendInternals, tensor: tf.TensorInfo): number {
  const entry = backend.dataIdMap.get(tensor.dataId);
  if (entry === undefined) throw new KernelInputError('a SCALE-TS kernel', `a tensor [${tensor.shape}]`, 'it has no data on the wasm backend');
  return entry.memoryOffset;
}

/** The shape of `op(a) x op(b)` and the sizes the kernels take; throws on shapes they do not serve. */
export function matMulShape(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): { batch: number; m: number; k: number; n: number; shape: number[] } {
  const fail = (why: string): never => {
    throw new KernelInputError(SCALE_MAT_MUL, `a [${aShape}]${transposeA ? '^T' : ''} x b [${bShape}]${transposeB ? '^T' : ''}`, why);
  };
  if (transposeA && transposeB) fail('transposeA and transposeB together are not supported');
  const rank = aShape.length;
  if ((rank !== 2 && rank !== 3) || bShape.length !== rank) fail('a and b must both be rank 2 or both rank 3');
  const batch = rank === 3 ? (aShape[0] as number) : 1;
  if (rank === 3 && bShape[0] !== batch) fail('the batch sizes must be equal');
  const [aRows, aCols] = aShape.slice(-2) as [number, number];
  const [bRows, bCols] = bShape.slice(-2) as [number, number];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) fail('the inner dimensions must match');
  return { batch, m, k, n, shape: rank === 3 ? [batch, m, n] : [m, n] };
}

/**
 * From this many rows of A on, `A x B^T` transposes B and runs matmulRows; below, matmulDots.
 * Measured on [256, m, 16] x [256, 16, 16]^T: m = 1, 12 us by dots and 25 by transposing; m = 4,
 * 50 and 41; and [4096, 16] x [16, 16]^T, 172 and 67.
 */
const ROWS_TO_TRANSPOSE = 4;

const matMulKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new KernelInputError(SCALE_MAT_MUL, `a [${a.shape}] x b [${b.shape}]`, `float32 inputs only, got ${a.dtype} and ${b.dtype}`);
  const wasm = backend as unknown as WasmBackendInternals;
  const { batch, m, k, n, shape } = matMulShape(a.shape, b.shape, transposeA, transposeB);
  const out = wasm.makeOutput(shape, 'float32');
  const kernels = exportsFor(wasm);
  const [pa, pb, po] = [offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out)];
  if (transposeB && m < ROWS_TO_TRANSPOSE) {
    kernels.matmulDots(pa, pb, po, batch, m, k, n, 4 * m * k, 4 * n * k);
  } else if (transposeB) {
    // B^T as a scratch copy, then the row kernel: the copy's cost is spread over A's m rows.
    const bT = wasm.makeOutput([batch * k * n], 'float32');
    const pt = offsetOf(wasm, bT);
    kernels.transpose(pb, pt, batch, n, k);
    kernels.matmulRows(pa, pt, po, batch, m, k, n, 4 * m * k, 4 * k * n, 4 * k, 4);
    wasm.disposeData(bT.dataId);
  } else {
    // A's element (i, k): row-major A steps 4K bytes per row and 4 per column; A^T the other way round.
    kernels.matmulRows(pa, pb, po, batch, m, k, n, 4 * m * k, 4 * k * n, transposeA ? 4 : 4 * k, transposeA ? 4 * m : 4);
  }
  return out;
};

const sumRowsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32' || x.shape.length !== 2) throw new KernelInputError(SCALE_SUM_ROWS, `x [${x.shape}] ${x.dtype}`, 'a float32 rank-2 input only');
  const wasm = backend as unknown as WasmBackendInternals;
  const [rows, cols] = x.shape as [number, number];
  const out = wasm.makeOutput([cols], 'float32');
  exportsFor(wasm).sumRows(offsetOf(wasm, x), offsetOf(wasm, out), rows, cols);
  return out;
};

/** `x W + b` with an optional ReLU: matmulRows, then the bias and activation in place. */
const denseKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b: tf.TensorInfo };
  const { relu } = attrs as { relu: boolean };
  const { m, k, n, shape } = matMulShape(x.shape, w.shape, false, false);
  if (x.shape.length !== 2 || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32' || b.shape.length !== 1 || b.shape[0] !== n) {
    throw new KernelInputError(SCALE_DENSE, `x [${x.shape}] x w [${w.shape}] + b [${b.shape}]`, 'float32 rank-2 x and w and a bias of w\'s width');
  }
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput(shape, 'float32');
  const kernels = exportsFor(wasm);
  const po = offsetOf(wasm, out);
  kernels.matmulRows(offsetOf(wasm, x), offsetOf(wasm, w), po, 1, m, k, n, 0, 0, 4 * k, 4);
  kernels.biasActivation(po, offsetOf(wasm, b), m, n, relu ? 1 : 0);
  return out;
};

/** Checks a segment list (`segments[s]..segments[s + 1]` are segment s's rows) against the row count. */
function checkSegments(kernel: string, segments: readonly number[], count: number, rows: number): void {
  let ok = segments.length === count + 1 && segments[0] === 0 && segments[count] === rows;
  for (let s = 0; ok && s < count; s++) if ((segments[s + 1] as number) < (segments[s] as number)) ok = false;
  if (!ok) throw new KernelInputError(kernel, `${segments.length - 1} segments over ${rows} rows`, `${count + 1} nondecreasing offsets from 0 to ${rows} (one segment per matrix of b)`);
}

/**
 * `out[rows of segment s] = a[rows of segment s] x op(b[s])`: a batched product whose batch entries
 * have different row counts (a is R x K, b is S x K x N, or S x N x K with transposeB; out R x N).
 * Each segment runs the same row kernel (and summation order) as the padded batched product.
 */
const segmentMatMulKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { segments, transposeB } = attrs as unknown as { segments: number[]; transposeB: boolean };
  const [S, bRows, bCols] = b.shape as [number, number, number];
  const [R, K] = a.shape as [number, number];
  const N = transposeB ? bRows : bCols;
  if (a.shape.length !== 2 || b.shape.length !== 3 || (transposeB ? bCols : bRows) !== K || a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new KernelInputError(SCALE_SEGMENT_MAT_MUL, `a [${a.shape}] x b [${b.shape}]${transposeB ? '^T' : ''}`, 'a float32 rank-2 a and rank-3 b with matching inner dimensions');
  }
  checkSegments(SCALE_SEGMENT_MAT_MUL, segments, S, R);
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([R, N], 'float32');
  const kernels = exportsFor(wasm);
  let pb = offsetOf(wasm, b);
  const pa = offsetOf(wasm, a);
  const po = offsetOf(wasm, out);
  let bT: tf.TensorInfo | null = null;
  if (transposeB) {
    bT = wasm.makeOutput([S * K * N], 'float32');
    kernels.transpose(pb, offsetOf(wasm, bT), S, N, K);
    pb = offsetOf(wasm, bT);
  }
  for (let s = 0; s < S; s++) {
    const from = segments[s] as number;
    const m = (segments[s + 1] as number) - from;
    if (m > 0) kernels.matmulRows(pa + 4 * from * K, pb + 4 * s * K * N, po + 4 * from * N, 1, m, K, N, 0, 0, 4 * K, 4);
  }
  if (bT !== null) wasm.disposeData(bT.dataId);
  return out;
};

/** `out[s] = a[rows of segment s]^T x y[rows of segment s]`: a is R x M, y R x N, out S x M x N (zeros for an empty segment). */
const segmentOuterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, y } = inputs as { a: tf.TensorInfo; y: tf.TensorInfo };
  const { segments } = attrs as unknown as { segments: number[] };
  const [R, M] = a.shape as [number, number];
  const N = y.shape[1] as number;
  if (a.shape.length !== 2 || y.shape.length !== 2 || y.shape[0] !== R || a.dtype !== 'float32' || y.dtype !== 'float32') {
    throw new KernelInputError(SCALE_SEGMENT_OUTER, `a [${a.shape}]^T x y [${y.shape}]`, 'float32 rank-2 a and y with the same rows');
  }
  const S = segments.length - 1;
  checkSegments(SCALE_SEGMENT_OUTER, segments, S, R);
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([S, M, N], 'float32');
  const kernels = exportsFor(wasm);
  const [pa, py, po] = [offsetOf(wasm, a), offsetOf(wasm, y), offsetOf(wasm, out)];
  for (let s = 0; s < S; s++) {
    const from = segments[s] as number;
    // A^T's element (i, r) = a(from + r, i): aRow = 4, aCol = 4M; k runs over the segment's rows.
    kernels.matmulRows(pa + 4 * from * M, py + 4 * from * N, po + 4 * s * M * N, 1, M, (segments[s + 1] as number) - from, N, 0, 0, 4, 4 * M);
  }
  return out;
};

/** ReLU's backward from its output: `dy` where `y > 0`, else 0. */
const reluBackwardKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const [wasm, out] = elementwiseOutput(SCALE_RELU_BACKWARD, y, backend, dy);
  exportsFor(wasm).reluBackward(offsetOf(wasm, dy), offsetOf(wasm, y), offsetOf(wasm, out), y.shape.reduce((a, c) => a * c, 1));
  return out;
};

function layerNormShape(kernel: string, x: tf.TensorInfo, gamma: tf.TensorInfo): [number, number] {
  const [rows, width] = x.shape as [number, number];
  if (x.dtype !== 'float32' || x.shape.length !== 2 || gamma.shape.length !== 1 || gamma.shape[0] !== width) {
    throw new KernelInputError(kernel, `x [${x.shape}] ${x.dtype}, gamma [${gamma.shape}]`, 'a float32 rank-2 x and a gamma (and beta) of its width');
  }
  return [rows, width];
}

/** `y = (x - mean) / sqrt(var + eps) * gamma + beta` per row (biased variance), two-pass in float64. */
const layerNormKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const { epsilon } = attrs as { epsilon: number };
  const [rows, width] = layerNormShape(SCALE_LAYER_NORM, x, gamma);
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([rows, width], 'float32');
  exportsFor(wasm).layerNorm(offsetOf(wasm, x), offsetOf(wasm, gamma), offsetOf(wasm, beta), offsetOf(wasm, out), rows, width, epsilon);
  return out;
};

/**
 * LayerNorm's backward from x (the row statistics are recomputed: cheaper than saving them), with
 * `g = dy * gamma` and `xhat = (x - mean) rstd`: `dx = rstd (g - mean(g) - xhat mean(g xhat))`,
 * `dgamma = sum over rows of dy xhat`, `dbeta = sum over rows of dy` (summed in float64 in a scratch
 * buffer of 2 x width doubles).
 */
const layerNormGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, gamma } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; gamma: tf.TensorInfo };
  const { epsilon } = attrs as { epsilon: number };
  const [rows, width] = layerNormShape(SCALE_LAYER_NORM_GRAD, x, gamma);
  if (dy.dtype !== 'float32' || dy.shape.join() !== x.shape.join()) throw new KernelInputError(SCALE_LAYER_NORM_GRAD, `dy [${dy.shape}], x [${x.shape}]`, 'a float32 dy of the same shape');
  const wasm = backend as unknown as WasmBackendInternals;
  const dx = wasm.makeOutput([rows, width], 'float32');
  const dgamma = wasm.makeOutput([width], 'float32');
  const dbeta = wasm.makeOutput([width], 'float32');
  const sums = wasm.makeOutput([4 * width], 'float32');
  const [pdy, px, pg, pdx, pdg, pdb, ps] = [dy, x, gamma, dx, dgamma, dbeta, sums].map((t) => offsetOf(wasm, t)) as [number, number, number, number, number, number, number];
  exportsFor(wasm).layerNormBackward(pdy, px, pg, pdx, pdg, pdb, ps, rows, width, epsilon);
  wasm.disposeData(sums.dataId);
  return [dx, dgamma, dbeta];
};

/** The output of an elementwise kernel on x (and dy of x's shape, for a backward). */
function elementwiseOutput(kernel: string, x: tf.TensorInfo, backend: unknown, dy?: tf.TensorInfo): [WasmBackendInternals, tf.TensorInfo] {
  if (x.dtype !== 'float32') throw new KernelInputError(kernel, `x [${x.shape}] ${x.dtype}`, 'a float32 input only');
  if (dy !== undefined && (dy.dtype !== 'float32' || dy.shape.join() !== x.shape.join())) {
    throw new KernelInputError(kernel, `dy [${dy.shape}] ${dy.dtype}, x [${x.shape}]`, 'a float32 dy of the same shape');
  }
  const wasm = backend as WasmBackendInternals;
  return [wasm, wasm.makeOutput([...x.shape], 'float32')];
}

/**
 * Exact GELU (erf by Abramowitz and Stegun 7.1.26, as tfjs's cpu backend and `gelu.ts`). The input
 * `phi`, a scratch tensor `geluOp` makes for this call alone (2 float32 slots per element), receives
 * `Phi(x) = 0.5 (1 + erf(x / sqrt 2))` per element as a float64: the backward reuses it instead of
 * evaluating erf again. (An input rather than a second output: tfjs's backprop would hand the
 * gradient a zero tensor for an output no loss reads, allocated and uploaded every step.)
 */
const geluKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, phi } = inputs as { x: tf.TensorInfo; phi: tf.TensorInfo };
  const [wasm, out] = elementwiseOutput(SCALE_GELU, x, backend);
  const size = x.shape.reduce((a, b) => a * b, 1);
  checkPhi(SCALE_GELU, phi, x, size);
  exportsFor(wasm).gelu(offsetOf(wasm, x), offsetOf(wasm, out), offsetOf(wasm, phi), size);
  return out;
};

function checkPhi(kernel: string, phi: tf.TensorInfo, x: tf.TensorInfo, size: number): void {
  if (phi.dtype !== 'float32' || phi.shape.length !== 1 || phi.shape[0] !== 2 * size) {
    throw new KernelInputError(kernel, `phi [${phi.shape}], x [${x.shape}]`, 'a float32 phi of 2 slots per element of x');
  }
}

/** GELU's backward, `dx = dy (Phi(x) + x phi(x))`, with `Phi(x)` as the forward left it in `phi`. */
const geluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, phi } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; phi: tf.TensorInfo };
  const [wasm, dx] = elementwiseOutput(SCALE_GELU_GRAD, x, backend, dy);
  const size = x.shape.reduce((a, b) => a * b, 1);
  checkPhi(SCALE_GELU_GRAD, phi, x, size);
  exportsFor(wasm).geluBackward(offsetOf(wasm, dy), offsetOf(wasm, x), offsetOf(wasm, phi), offsetOf(wasm, dx), size);
  return dx;
};

function headMaskShape(kernel: string, mask: tf.TensorInfo): [number, number] {
  if (mask.dtype !== 'float32' || mask.shape.length !== 2) throw new KernelInputError(kernel, `mask [${mask.shape}] ${mask.dtype}`, 'a float32 mask of (heads, width)');
  return mask.shape as [number, number];
}

/**
 * `out[r, i] = sum over h of x[r, h, i] mask[h, i]` in float32, h in order from +0: the values of
 * `tf.sum(tf.mul(x, mask), 1)` as tfjs-wasm computes them, in one kernel (the attention's heads
 * recombined: head h keeps its own slice of its projection). Its gradient is `headSpread`.
 */
const maskedHeadSumKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, mask } = inputs as { x: tf.TensorInfo; mask: tf.TensorInfo };
  const [heads, width] = headMaskShape(SCALE_MASKED_HEAD_SUM, mask);
  if (x.dtype !== 'float32' || x.shape.length !== 3 || x.shape[1] !== heads || x.shape[2] !== width) {
    throw new KernelInputError(SCALE_MASKED_HEAD_SUM, `x [${x.shape}], mask [${mask.shape}]`, 'a float32 x of (rows, heads, width) for a mask of (heads, width)');
  }
  const rows = x.shape[0] as number;
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([rows, width], 'float32');
  exportsFor(wasm).maskedHeadSum(offsetOf(wasm, x), offsetOf(wasm, mask), offsetOf(wasm, out), rows, heads, width);
  return out;
};

/**
 * `out[r, h, i] = x[r, i] mask[h, i]`: the values of `tf.mul(tf.expandDims(x, 1), mask)`, in one
 * kernel (the attention's query placed on each head's slice). Its gradient is `maskedHeadSum`.
 */
const headSpreadKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, mask } = inputs as { x: tf.TensorInfo; mask: tf.TensorInfo };
  const [heads, width] = headMaskShape(SCALE_HEAD_SPREAD, mask);
  if (x.dtype !== 'float32' || x.shape.length !== 2 || x.shape[1] !== width) {
    throw new KernelInputError(SCALE_HEAD_SPREAD, `x [${x.shape}], mask [${mask.shape}]`, 'a float32 x of (rows, width) for a mask of (heads, width)');
  }
  const rows = x.shape[0] as number;
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([rows, heads, width], 'float32');
  exportsFor(wasm).headSpread(offsetOf(wasm, x), offsetOf(wasm, mask), offsetOf(wasm, out), rows, heads, width);
  return out;
};

/** q (rows x width), sel (heads x width), w (n x width): the shapes headFold serves. */
function headFoldShape(kernel: string, q: tf.TensorInfo, sel: tf.TensorInfo, w: tf.TensorInfo): [number, number, number, number] {
  const [rows, width] = q.shape as [number, number];
  const [heads] = sel.shape as [number];
  const n = w.shape[0] as number;
  if (
    [q, sel, w].some((t) => t.dtype !== 'float32' || t.shape.length !== 2) ||
    sel.shape[1] !== width ||
    w.shape[1] !== width ||
    !headFoldServes(width, heads, n)
  ) {
    throw new KernelInputError(kernel, `q [${q.shape}], sel [${sel.shape}], w [${w.shape}]`, 'float32 q (rows, width), sel (heads, width), w (n, width), with width / heads and n multiples of 4');
  }
  return [rows, heads, width, n];
}

/** Whether the headFold kernels serve these sizes (4-wide slices and columns). */
function headFoldServes(width: number, heads: number, n: number): boolean {
  return heads > 0 && width % heads === 0 && (width / heads) % 4 === 0 && n % 4 === 0;
}

/**
 * The attention's folded keys: `out[(r, h), :] = (q[r] sel[h]) W^T`, rows (r, h), for w = W_k (n x
 * width) and sel each head's selector (1 / sqrt(d_head) on its slice, 0 elsewhere). The same float32
 * values as `headSpread` then `matMul(., W, false, true)`: only each head's own slice of q is
 * multiplied (the zero products added nothing), a quarter of the work at 4 heads.
 */
const headFoldKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { q, sel, w } = inputs as { q: tf.TensorInfo; sel: tf.TensorInfo; w: tf.TensorInfo };
  const [rows, heads, width, n] = headFoldShape(SCALE_HEAD_FOLD, q, sel, w);
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([rows * heads, n], 'float32');
  const wT = wasm.makeOutput([width * n], 'float32');
  const kernels = exportsFor(wasm);
  kernels.transpose(offsetOf(wasm, w), offsetOf(wasm, wT), 1, n, width);
  kernels.headFold(offsetOf(wasm, q), offsetOf(wasm, sel), offsetOf(wasm, wT), offsetOf(wasm, out), rows, heads, width, n);
  wasm.disposeData(wT.dataId);
  return out;
};

/** headFold's backward: dq (rows x width) and dw (n x width) from dG ((rows heads) x n). */
const headFoldGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, q, sel, w } = inputs as { dy: tf.TensorInfo; q: tf.TensorInfo; sel: tf.TensorInfo; w: tf.TensorInfo };
  const [rows, heads, width, n] = headFoldShape(SCALE_HEAD_FOLD_GRAD, q, sel, w);
  if (dy.dtype !== 'float32' || dy.shape.length !== 2 || dy.shape[0] !== rows * heads || dy.shape[1] !== n) {
    throw new KernelInputError(SCALE_HEAD_FOLD_GRAD, `dy [${dy.shape}], q [${q.shape}]`, 'a float32 dy of (rows * heads, n)');
  }
  const wasm = backend as unknown as WasmBackendInternals;
  const dq = wasm.makeOutput([rows, width], 'float32');
  const dw = wasm.makeOutput([n, width], 'float32');
  const kernels = exportsFor(wasm);
  const [pdy, pq, ps, pw] = [dy, q, sel, w].map((t) => offsetOf(wasm, t)) as [number, number, number, number];
  kernels.headFoldBackQuery(pdy, ps, pw, offsetOf(wasm, dq), rows, heads, width, n);
  kernels.headFoldBackKey(pdy, pq, ps, offsetOf(wasm, dw), rows, heads, width, n);
  return [dq, dw];
};

/** p ((rows heads) x m), w (m x width): the shapes headProject serves, with its heads attribute. */
function headProjectShape(kernel: string, p: tf.TensorInfo, w: tf.TensorInfo, heads: number): [number, number, number] {
  const [pRows, m] = p.shape as [number, number];
  const width = w.shape[1] as number;
  if ([p, w].some((t) => t.dtype !== 'float32' || t.shape.length !== 2) || w.shape[0] !== m || pRows % heads !== 0 || !headProjectServes(m, width, heads)) {
    throw new KernelInputError(kernel, `p [${p.shape}], w [${w.shape}], ${heads} heads`, 'float32 p (rows * heads, m) and w (m, width), with m and width / heads multiples of 4');
  }
  return [pRows / heads, m, width];
}

/** Whether the headProject kernels serve these sizes (4-wide slices and columns). */
function headProjectServes(m: number, width: number, heads: number): boolean {
  return heads > 0 && width % heads === 0 && (width / heads) % 4 === 0 && m % 4 === 0;
}

/**
 * The attention's value projection, each head keeping its own slice: `out[r, slice h] = p[(r, h)]
 * W[:, slice h]`, the same float32 values as `matMul(p, W)` then `maskedHeadSum` with the heads'
 * 0/1 mask, without computing the other heads' columns (a quarter of the work at 4 heads).
 */
const headProjectKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { p, w } = inputs as { p: tf.TensorInfo; w: tf.TensorInfo };
  const { heads } = attrs as { heads: number };
  const [rows, m, width] = headProjectShape(SCALE_HEAD_PROJECT, p, w, heads);
  const wasm = backend as unknown as WasmBackendInternals;
  const out = wasm.makeOutput([rows, width], 'float32');
  exportsFor(wasm).headProject(offsetOf(wasm, p), offsetOf(wasm, w), offsetOf(wasm, out), rows, heads, m, width);
  return out;
};

/** headProject's backward: dp ((rows heads) x m) and dw (m x width) from dy (rows x width). */
const headProjectGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, p, w } = inputs as { dy: tf.TensorInfo; p: tf.TensorInfo; w: tf.TensorInfo };
  const { heads } = attrs as { heads: number };
  const [rows, m, width] = headProjectShape(SCALE_HEAD_PROJECT_GRAD, p, w, heads);
  if (dy.dtype !== 'float32' || dy.shape.length !== 2 || dy.shape[0] !== rows || dy.shape[1] !== width) {
    throw new KernelInputError(SCALE_HEAD_PROJECT_GRAD, `dy [${dy.shape}], p [${p.shape}]`, 'a float32 dy of (rows, width)');
  }
  const wasm = backend as unknown as WasmBackendInternals;
  const dp = wasm.makeOutput([rows * heads, m], 'float32');
  const dw = wasm.makeOutput([m, width], 'float32');
  const wT = wasm.makeOutput([width * m], 'float32');
  const kernels = exportsFor(wasm);
  const [pdy, pp, pw, pt] = [dy, p, w, wT].map((t) => offsetOf(wasm, t)) as [number, number, number, number];
  kernels.transpose(pw, pt, 1, m, width);
  kernels.headProjectBackInput(pdy, pt, offsetOf(wasm, dp), rows, heads, m, width);
  kernels.headProjectBackWeight(pp, pdy, offsetOf(wasm, dw), rows, heads, m, width);
  wasm.disposeData(wT.dataId);
  return [dp, dw];
};

function register(): void {
  registered = true;
  // Another copy of this module in the process (a bundle beside the source) may have registered some
  // already (an older one fewer): each kernel and gradient once.
  const registerKernel = (config: tf.KernelConfig): void => {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) tf.registerKernel(config);
  };
  const registerGradient = (config: tf.GradConfig): void => {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  };
  shareSavedTensors();
  registerKernel({ kernelName: SCALE_MAT_MUL, backendName: 'wasm', kernelFunc: matMulKernel });
  registerKernel({ kernelName: SCALE_SUM_ROWS, backendName: 'wasm', kernelFunc: sumRowsKernel });
  registerKernel({ kernelName: SCALE_DENSE, backendName: 'wasm', kernelFunc: denseKernel });
  registerKernel({ kernelName: SCALE_RELU_BACKWARD, backendName: 'wasm', kernelFunc: reluBackwardKernel });
  registerKernel({ kernelName: SCALE_LAYER_NORM, backendName: 'wasm', kernelFunc: layerNormKernel });
  registerKernel({ kernelName: SCALE_LAYER_NORM_GRAD, backendName: 'wasm', kernelFunc: layerNormGradKernel });
  registerKernel({ kernelName: SCALE_GELU, backendName: 'wasm', kernelFunc: geluKernel });
  registerKernel({ kernelName: SCALE_GELU_GRAD, backendName: 'wasm', kernelFunc: geluGradKernel });
  registerKernel({ kernelName: SCALE_SEGMENT_MAT_MUL, backendName: 'wasm', kernelFunc: segmentMatMulKernel });
  registerKernel({ kernelName: SCALE_SEGMENT_OUTER, backendName: 'wasm', kernelFunc: segmentOuterKernel });
  registerKernel({ kernelName: SCALE_MASKED_HEAD_SUM, backendName: 'wasm', kernelFunc: maskedHeadSumKernel });
  registerKernel({ kernelName: SCALE_HEAD_SPREAD, backendName: 'wasm', kernelFunc: headSpreadKernel });
  registerKernel({ kernelName: SCALE_HEAD_FOLD, backendName: 'wasm', kernelFunc: headFoldKernel });
  registerKernel({ kernelName: SCALE_HEAD_FOLD_GRAD, backendName: 'wasm', kernelFunc: headFoldGradKernel });
  registerKernel({ kernelName: SCALE_HEAD_PROJECT, backendName: 'wasm', kernelFunc: headProjectKernel });
  registerKernel({ kernelName: SCALE_HEAD_PROJECT_GRAD, backendName: 'wasm', kernelFunc: headProjectGradKernel });
  registerGradient({
    kernelName: SCALE_HEAD_PROJECT,
    inputsToSave: ['p', 'w'],
    gradFunc: (dy, saved, attrs) => {
      const [p, w] = saved as [tf.Tensor, tf.Tensor];
      const [dp, dw] = tf.engine().runKernel(SCALE_HEAD_PROJECT_GRAD, { dy: dy as tf.Tensor, p, w }, attrs) as tf.Tensor[];
      return { p: () => dp as tf.Tensor, w: () => dw as tf.Tensor };
    },
  });
  registerGradient({
    kernelName: SCALE_HEAD_FOLD,
    inputsToSave: ['q', 'sel', 'w'],
    gradFunc: (dy, saved) => {
      const [q, sel, w] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [dq, dw] = tf.engine().runKernel(SCALE_HEAD_FOLD_GRAD, { dy: dy as tf.Tensor, q, sel, w }) as tf.Tensor[];
      // sel is a constant of the encoder (no gradient is asked of it).
      return { q: () => dq as tf.Tensor, w: () => dw as tf.Tensor };
    },
  });
  // Each is the other's gradient; the mask is a constant of the encoder (no gradient is asked of it).
  registerGradient({
    kernelName: SCALE_MASKED_HEAD_SUM,
    inputsToSave: ['mask'],
    gradFunc: (dy, saved) => ({ x: () => headSpread(dy as tf.Tensor2D, saved[0] as tf.Tensor2D) }),
  });
  registerGradient({
    kernelName: SCALE_HEAD_SPREAD,
    inputsToSave: ['mask'],
    gradFunc: (dy, saved) => ({ x: () => maskedHeadSum(dy as tf.Tensor3D, saved[0] as tf.Tensor2D) }),
  });
  registerGradient({
    kernelName: SCALE_SEGMENT_MAT_MUL,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor2D, tf.Tensor3D];
      const g = dy as tf.Tensor2D;
      const { segments, transposeB } = attrs as unknown as { segments: number[]; transposeB: boolean };
      // C_s = A_s B_s^T: dA_s = dC_s B_s, dB_s = dC_s^T A_s. C_s = A_s B_s: dA_s = dC_s B_s^T, dB_s = A_s^T dC_s.
      if (transposeB) return { a: () => segmentMatMul(g, b, segments, false), b: () => segmentOuter(g, a, segments) };
      return { a: () => segmentMatMul(g, b, segments, true), b: () => segmentOuter(a, g, segments) };
    },
  });
  registerGradient({
    kernelName: SCALE_SEGMENT_OUTER,
    inputsToSave: ['a', 'y'],
    gradFunc: (dy, saved, attrs) => {
      const [a, y] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor3D;
      const { segments } = attrs as unknown as { segments: number[] };
      // C_s = A_s^T Y_s: dA_s = Y_s dC_s^T, dY_s = A_s dC_s.
      return { a: () => segmentMatMul(y, g, segments, true), y: () => segmentMatMul(a, g, segments, false) };
    },
  });
  registerGradient({
    kernelName: SCALE_MAT_MUL,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (transposeB) return { a: () => matMul(g, b), b: () => matMul(g, a, true, false) }; // C = A B^T
      if (transposeA) return { a: () => matMul(b, g, false, true), b: () => matMul(a, g) }; // C = A^T B
      return { a: () => matMul(g, b, false, true), b: () => matMul(a, g, true, false) }; // C = A B
    },
  });
  registerGradient({
    kernelName: SCALE_DENSE,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dz = (attrs as { relu: boolean }).relu ? (tf.engine().runKernel(SCALE_RELU_BACKWARD, { dy: dy as tf.Tensor, y }) as tf.Tensor2D) : (dy as tf.Tensor2D);
      return { x: () => matMul(dz, w, false, true), w: () => matMul(x, dz, true, false), b: () => sumRows(dz) };
    },
  });
  registerGradient({
    kernelName: SCALE_LAYER_NORM,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
      const [dx, dgamma, dbeta] = tf.engine().runKernel(SCALE_LAYER_NORM_GRAD, { dy: dy as tf.Tensor, x, gamma }, attrs) as tf.Tensor[];
      return { x: () => dx as tf.Tensor, gamma: () => dgamma as tf.Tensor, beta: () => dbeta as tf.Tensor };
    },
  });
  registerGradient({
    kernelName: SCALE_GELU,
    inputsToSave: ['x', 'phi'],
    gradFunc: (dy, saved) => {
      const [x, phi] = saved as [tf.Tensor, tf.Tensor];
      return { x: () => tf.engine().runKernel(SCALE_GELU_GRAD, { dy: dy as tf.Tensor, x, phi }) as tf.Tensor };
    },
  });
  registerGradient({
    kernelName: SCALE_SUM_ROWS,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.broadcastTo(dy as tf.Tensor, (saved[0] as tf.Tensor).shape) }),
  });
}

/** Whether the ops below run SCALE-TS's kernels: the wasm backend, with its heap reachable and SIMD. */
export function trainingKernelsActive(): boolean {
  if (tf.getBackend() !== 'wasm' || kernelsFor(tf.backend()) === null) return false;
  if (!registered) register();
  return true;
}

/**
 * `op(a) x op(b)` for rank-2 or equal-batch rank-3 tensors, `op` an optional transpose (not both):
 * SCALE-TS's SIMD kernel on the wasm backend, tf.matMul elsewhere. Its gradient is two more of these
 * products, never a Transpose.
 */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeA = false, transposeB = false): T {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_MAT_MUL, { a, b }, { transposeA, transposeB }) as T;
  return tf.matMul(a, b, transposeA, transposeB) as T;
}

/**
 * `sum over h of x[:, h, :] mask[h, :]` (rows x heads x width to rows x width), `mask` a constant:
 * one SCALE-TS kernel each way on wasm (the same float32 values as tfjs's), tfjs's mul and sum elsewhere.
 */
export function maskedHeadSum(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_MASKED_HEAD_SUM, { x, mask }) as tf.Tensor2D;
  return tf.sum(tf.mul(x, mask), 1) as tf.Tensor2D;
}

/**
 * `x[:, None, :] mask` (rows x width to rows x heads x width), `mask` a constant: one SCALE-TS kernel
 * each way on wasm (the same float32 values as tfjs's), tfjs's expandDims and mul elsewhere.
 */
export function headSpread(x: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_HEAD_SPREAD, { x, mask }) as tf.Tensor3D;
  return tf.mul(tf.expandDims(x, 1), mask) as tf.Tensor3D;
}

/**
 * The folded keys of single-query attention, `(q[r] sel[h]) W^T` for each query row r and head h
 * ((rows heads) x n, row r * heads + h), `sel` a constant (heads x width), `w` = W (n x width): one
 * SCALE-TS kernel each way on wasm where each head's slice is a multiple of 4 wide, multiplying only
 * that slice (the same float32 values as the composite); `headSpread` and `matMul` otherwise.
 */
export function headFold(q: tf.Tensor2D, sel: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [heads, width] = sel.shape;
  if (trainingKernelsActive() && headFoldServes(width, heads, w.shape[0])) return tf.engine().runKernel(SCALE_HEAD_FOLD, { q, sel, w }) as tf.Tensor2D;
  return matMul(tf.reshape(headSpread(q, sel), [q.shape[0] * heads, width]) as tf.Tensor2D, w, false, true);
}

/**
 * The attention's value projection with each head keeping its own output slice: `out[r, slice h] =
 * p[r * heads + h] W[:, slice h]` (rows x width), `mask` the heads' 0/1 slices (heads x width). One
 * SCALE-TS kernel each way on wasm where the slices and p's width are multiples of 4 (the same float32
 * values as the composite, without the other heads' columns); `matMul` and `maskedHeadSum` otherwise.
 */
export function headProject(p: tf.Tensor2D, w: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const [heads, width] = mask.shape;
  if (trainingKernelsActive() && headProjectServes(p.shape[1], width, heads)) return tf.engine().runKernel(SCALE_HEAD_PROJECT, { p, w }, { heads }) as tf.Tensor2D;
  return maskedHeadSum(tf.reshape(matMul(p, w), [p.shape[0] / heads, heads, width]) as tf.Tensor3D, mask);
}

/** The sum over rows of a matrix (`tf.sum(x, 0)`): a bias gradient. */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_SUM_ROWS, { x }) as tf.Tensor1D;
  return tf.sum(x, 0);
}

/** LayerNorm over the last axis of a matrix, `(x - mean) / sqrt(var + epsilon) * gamma + beta` (biased variance). */
export function layerNormOp(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_LAYER_NORM, { x, gamma, beta }, { epsilon }) as tf.Tensor2D;
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor2D;
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (PyTorch's default). */
export function geluOp<T extends tf.Tensor>(x: T): T {
  if (trainingKernelsActive()) {
    // Uninitialised: the kernel writes every slot before anything reads it.
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const phi = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([2 * x.size], 'float32'));
    return tf.engine().runKernel(SCALE_GELU, { x, phi }) as T;
  }
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T;
}

/**
 * A dense layer, `x W + b` then an optional ReLU: one SCALE-TS kernel on wasm (forward and backward),
 * or null where those kernels are not active (the caller then composes tfjs's ops).
 */
export function denseOp(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, relu: boolean): tf.Tensor2D | null {
  if (!trainingKernelsActive()) return null;
  return tf.engine().runKernel(SCALE_DENSE, { x, w, b }, { relu }) as tf.Tensor2D;
}

/** Segment s's rows of a matrix (a slice), for the composed fallbacks below. */
function segmentRows(x: tf.Tensor2D, segments: readonly number[], s: number): tf.Tensor2D {
  const from = segments[s] as number;
  return tf.slice(x, [from, 0], [(segments[s + 1] as number) - from, x.shape[1]]);
}

/**
 * A batched product over segments of rows: `out[rows of s] = a[rows of s] x op(b[s])`, a R x K,
 * b S x K x N (S x N x K with transposeB), `segments` S + 1 nondecreasing row offsets from 0 to R.
 * The padded batched product without the padding: batch entry s has its own row count. SCALE-TS's
 * row kernel on wasm (its gradient two more segment products), tfjs's slices and products elsewhere.
 */
export function segmentMatMul(a: tf.Tensor2D, b: tf.Tensor3D, segments: readonly number[], transposeB = false): tf.Tensor2D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_SEGMENT_MAT_MUL, { a, b }, { segments: [...segments], transposeB } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  const S = b.shape[0];
  checkSegments(SCALE_SEGMENT_MAT_MUL, segments, S, a.shape[0]);
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < S; s++) {
    if ((segments[s + 1] as number) > (segments[s] as number)) parts.push(tf.matMul(segmentRows(a, segments, s), tf.squeeze(tf.slice(b, [s, 0, 0], [1, -1, -1]), [0]), false, transposeB));
  }
  return parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 0);
}

/** Per segment, `a[rows of s]^T x y[rows of s]` (S x M x N): a segment sum of outer products, the other half of the gradients above. */
export function segmentOuter(a: tf.Tensor2D, y: tf.Tensor2D, segments: readonly number[]): tf.Tensor3D {
  if (trainingKernelsActive()) return tf.engine().runKernel(SCALE_SEGMENT_OUTER, { a, y }, { segments: [...segments] } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
  const S = segments.length - 1;
  checkSegments(SCALE_SEGMENT_OUTER, segments, S, a.shape[0]);
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < S; s++) {
    parts.push((segments[s + 1] as number) > (segments[s] as number) ? tf.matMul(segmentRows(a, segments, s), segmentRows(y, segments, s), true, false) : tf.zeros([a.shape[1], y.shape[1]]));
  }
  return tf.stack(parts) as tf.Tensor3D;
}
