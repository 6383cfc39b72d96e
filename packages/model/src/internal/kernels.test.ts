import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERNELS_DIR, assembleKernels, kernelsSource } from '../../scripts/build-kernels.js';
import { useBackend } from '../backend.js';
import { KernelInputError } from '../errors.js';
import { gelu, geluDerivative } from './gelu.js';
import {
  SCALE_GELU,
  SCALE_GELU_GRAD,
  SCALE_LAYER_NORM_GRAD,
  denseOp,
  geluOp,
  headFold,
  headProject,
  headSpread,
  kernelsFor,
  layerNormOp,
  maskedHeadSum,
  matMul,
  matMulShape,
  segmentMatMul,
  segmentOuter,
  sumRows,
  trainingKernelsActive,
} from './kernels.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Values in [-2, 2) from a seed, so a failing case reproduces from fast-check's report. */
function tensorOf(shape: number[], seed: number): tf.Tensor {
  let state = seed >>> 0;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 4 - 2;
  });
  return tf.tensor(values, shape);
}

function maxRelativeError(ours: tf.Tensor, theirs: tf.Tensor): number {
  const a = ours.dataSync();
  const b = theirs.dataSync();
  expect(ours.shape).toEqual(theirs.shape);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number)));
  return worst;
}

/** `expected` with its NaNs replaced by `actual`'s at the same places (a NaN's payload is not compared). */
function canonicalNaN(expected: Float32Array, actual: ArrayLike<number>): Float32Array {
  return expected.map((v, i) => (Number.isNaN(v) && Number.isNaN(actual[i] as number) ? (actual[i] as number) : v));
}

/**
 * LayerNorm and its backward as plain loops in float64 (the kernels' previous JavaScript form): row
 * mean, then the biased variance about it, `rstd = 1 / sqrt(var + eps)`; outputs rounded to float32 once.
 */
function referenceLayerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array, rows: number, width: number, epsilon: number) {
  const y = new Float32Array(rows * width);
  const dx = new Float32Array(rows * width);
  const dgammaSum = new Float64Array(width);
  const dbetaSum = new Float64Array(width);
  const xhat = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    let mean = 0;
    for (let j = 0; j < width; j++) mean += x[row + j] as number;
    mean /= width;
    let variance = 0;
    for (let j = 0; j < width; j++) variance += ((x[row + j] as number) - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / width + epsilon);
    let gMean = 0;
    let gXhatMean = 0;
    for (let j = 0; j < width; j++) {
      xhat[j] = ((x[row + j] as number) - mean) * rstd;
      y[row + j] = (xhat[j] as number) * (gamma[j] as number) + (beta[j] as number);
      const d = dy[row + j] as number;
      const g = d * (gamma[j] as number);
      gMean += g;
      gXhatMean += g * (xhat[j] as number);
      dgammaSum[j] = (dgammaSum[j] as number) + d * (xhat[j] as number);
      dbetaSum[j] = (dbetaSum[j] as number) + d;
    }
    gMean /= width;
    gXhatMean /= width;
    for (let j = 0; j < width; j++) dx[row + j] = rstd * ((dy[row + j] as number) * (gamma[j] as number) - gMean - (xhat[j] as number) * gXhatMean);
  }
  return { y, dx, dgamma: Float32Array.from(dgammaSum), dbeta: Float32Array.from(dbetaSum) };
}

/** Operand shapes for op(a) x op(b) = (batch x) m x n with inner size k. */
function operandShapes(batch: number | null, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): [number[], number[]] {
  const lead = batch === null ? [] : [batch];
  return [
    [...lead, ...(transposeA ? [k, m] : [m, k])],
    [...lead, ...(transposeB ? [n, k] : [k, n])],
  ];
}

const layouts = fc.constantFrom<[boolean, boolean]>([false, false], [false, true], [true, false]);
// Sizes cross the kernels' 16-wide, 4-wide and one-at-a-time paths.
const size = fc.integer({ min: 1, max: 37 });

/** A product's operands (rank 2, or rank 3 with a batch of 1-3) and layout. */
const products = fc
  .tuple(fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }), size, size, size, layouts, fc.nat())
  .map(([batch, m, k, n, [transposeA, transposeB], seed]) => {
    const [aShape, bShape] = operandShapes(batch, m, k, n, transposeA, transposeB);
    return { aShape, bShape, transposeA, transposeB, seed };
  });

describe('SCALE-TS training kernels (wasm)', () => {
  it('run on the wasm backend and not on cpu', async () => {
    expect(trainingKernelsActive()).toBe(true);
    await useBackend('cpu');
    expect(trainingKernelsActive()).toBe(false);
    const [a, b] = [tensorOf([3, 5], 1), tensorOf([4, 5], 2)];
    expect(maxRelativeError(matMul(a, b, false, true), tf.matMul(a, b, false, true))).toBe(0);
    tf.dispose([a, b]);
    await useBackend('wasm');
    expect(trainingKernelsActive()).toBe(true);
  });

  it('bind to a heap they can import, and decline any other (tfjs then runs its own ops)', () => {
    const wasmApi = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => object } }).WebAssembly;
    expect(kernelsFor({ wasm: { asm: { memory: new wasmApi.Memory({ initial: 1 }) } } })).not.toBeNull();
    // tfjs-wasm's threaded build shares its memory; the module imports an unshared one.
    expect(kernelsFor({ wasm: { asm: { memory: new wasmApi.Memory({ initial: 1, maximum: 2, shared: true }) } } })).toBeNull();
    expect(kernelsFor({ wasm: {} })).toBeNull();
    expect(kernelsFor(tf.backend())).not.toBeNull();
  });

  it('matMul equals tf.matMul for every layout, batch and size', () => {
    fc.assert(
      fc.property(products, ({ aShape, bShape, transposeA, transposeB, seed }) => {
        tf.tidy(() => {
          const [a, b] = [tensorOf(aShape, seed), tensorOf(bShape, seed + 1)];
          expect(maxRelativeError(matMul(a, b, transposeA, transposeB), tf.matMul(a, b, transposeA, transposeB))).toBeLessThan(1e-5);
        });
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it("matMul's gradients equal tf.matMul's for every layout", () => {
    fc.assert(
      fc.property(products, ({ aShape, bShape, transposeA, transposeB, seed }) => {
        tf.tidy(() => {
          const [a, b] = [tensorOf(aShape, seed), tensorOf(bShape, seed + 1)];
          const loss = (product: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(product(x, y)));
          const ours = tf.grads(loss((x, y) => matMul(x, y, transposeA, transposeB)))([a, b]);
          const theirs = tf.grads(loss((x, y) => tf.matMul(x, y, transposeA, transposeB)))([a, b]);
          // Two chained float32 products of up to 37 terms each: a few ulps of the larger terms apart.
          for (let i = 0; i < 2; i++) expect(maxRelativeError(ours[i] as tf.Tensor, theirs[i] as tf.Tensor)).toBeLessThan(1e-4);
        });
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  it('sumRows equals tf.sum over axis 0, and its gradient broadcasts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (rows, cols, seed) => {
        tf.tidy(() => {
          const x = tensorOf([rows, cols], seed) as tf.Tensor2D;
          expect(maxRelativeError(sumRows(x), tf.sum(x, 0))).toBeLessThan(1e-5);
          const weights = tensorOf([cols], seed + 1);
          const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(sumRows(v as tf.Tensor2D), weights)))(x);
          expect(maxRelativeError(grad, tf.mul(tf.onesLike(x), weights))).toBe(0);
        });
      }),
      { numRuns: 60, seed: 13 },
    );
  });

  it('denseOp and its gradients equal x W + b (and ReLU) composed of tfjs ops', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), size, size, fc.boolean(), fc.nat(), (rows, inputs, outputs, relu, seed) => {
        tf.tidy(() => {
          const [x, w, b, weights] = [tensorOf([rows, inputs], seed), tensorOf([inputs, outputs], seed + 1), tensorOf([outputs], seed + 2), tensorOf([rows, outputs], seed + 3)];
          const ours = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => denseOp(a as tf.Tensor2D, c, d, relu) as tf.Tensor;
          const theirs = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
            const z = tf.add(tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), d);
            return relu ? tf.relu(z) : z;
          };
          expect(maxRelativeError(ours(x, w, b), theirs(x, w, b))).toBeLessThan(1e-5);
          const loss = (f: typeof theirs) => (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(tf.sin(f(a, c, d)), weights));
          const got = tf.grads(loss(ours))([x, w, b]);
          const want = tf.grads(loss(theirs))([x, w, b]);
          for (let i = 0; i < 3; i++) expect(maxRelativeError(got[i] as tf.Tensor, want[i] as tf.Tensor)).toBeLessThan(1e-4);
        });
      }),
      { numRuns: 80, seed: 16 },
    );
  });

  it("layerNormOp and its gradients equal tfjs's composite LayerNorm", () => {
    const composite = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 33 }), fc.nat(), (rows, width, seed) => {
        tf.tidy(() => {
          const [x, gamma, beta, weights] = [tensorOf([rows, width], seed), tensorOf([width], seed + 1), tensorOf([width], seed + 2), tensorOf([rows, width], seed + 3)];
          const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNormOp(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
          expect(maxRelativeError(ours(x, gamma, beta), composite(x, gamma, beta))).toBeLessThan(1e-4);
          const loss = (f: typeof composite) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.sin(f(a, g, b)), weights));
          const [dx, dgamma, dbeta] = tf.grads(loss(ours))([x, gamma, beta]);
          const [ex, egamma, ebeta] = tf.grads(loss(composite))([x, gamma, beta]);
          expect(maxRelativeError(dx as tf.Tensor, ex as tf.Tensor)).toBeLessThan(1e-4);
          expect(maxRelativeError(dgamma as tf.Tensor, egamma as tf.Tensor)).toBeLessThan(1e-4);
          expect(maxRelativeError(dbeta as tf.Tensor, ebeta as tf.Tensor)).toBeLessThan(1e-4);
        });
      }),
      { numRuns: 80, seed: 14 },
    );
    expect(() => tf.tidy(() => layerNormOp(tf.zeros([2, 3]), tf.ones([4]), tf.zeros([4]), 1e-5))).toThrow(
      'ScaleLayerNorm: x [2,3] float32, gamma [4]: a float32 rank-2 x and a gamma (and beta) of its width',
    );
  });

  it("geluOp and its gradient equal tfjs's composite exact GELU", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 6 }), fc.nat(), (size, scale, seed) => {
        tf.tidy(() => {
          const x = tf.mul(tensorOf([size], seed), scale); // reaches the tails, where erf saturates
          const composite = (v: tf.Tensor) => tf.mul(tf.mul(v, 0.5), tf.add(tf.erf(tf.mul(v, Math.SQRT1_2)), 1));
          expect(maxRelativeError(geluOp(x), composite(x))).toBeLessThan(1e-6);
          const weights = tensorOf([size], seed + 1);
          const grad = (f: (v: tf.Tensor) => tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), weights)))(x);
          expect(maxRelativeError(grad(geluOp), grad(composite))).toBeLessThan(1e-5);
        });
      }),
      { numRuns: 60, seed: 15 },
    );
  });

  it('GELU and its backward give the float64 formulas of gelu.ts (the fast path\'s) rounded once, bit for bit', () => {
    // The kernels compute erf's exp as a port of V8's Math.exp: every float32 must come out the same.
    const count = 1 << 16;
    const bits = new Uint32Array(count);
    let state = 7;
    for (let i = 0; i < count; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      // Half arbitrary bit patterns (tails, subnormals, infinities, NaN), half a dense sweep of [-12, 12].
      bits[i] = i % 2 === 0 ? state : new Uint32Array(Float32Array.of(((i / count) * 2 - 1) * 12).buffer)[0] as number;
    }
    const values = new Float32Array(bits.buffer);
    const dyValues = Float32Array.from(values, (_, i) => (i % 3) - 1.25);
    tf.tidy(() => {
      const x = tf.tensor1d(values);
      const dy = tf.tensor1d(dyValues);
      const phi = tf.zeros([2 * count]);
      const forward = (tf.engine().runKernel(SCALE_GELU, { x, phi }) as tf.Tensor).dataSync();
      expect(Array.from(geluOp(x).dataSync())).toEqual(Array.from(forward));
      const backward = tf.engine().runKernel(SCALE_GELU_GRAD, { dy, x, phi }) as tf.Tensor;
      const expectedForward = Float32Array.from(values, (v) => gelu(v));
      const expectedBackward = Float32Array.from(values, (v, i) => (dyValues[i] as number) * geluDerivative(v));
      expect(new Uint32Array(Float32Array.from(forward).buffer)).toEqual(new Uint32Array(canonicalNaN(expectedForward, forward).buffer));
      const ours = backward.dataSync() as Float32Array;
      expect(new Uint32Array(Float32Array.from(ours).buffer)).toEqual(new Uint32Array(canonicalNaN(expectedBackward, ours).buffer));
    });
  });

  it('LayerNorm and its backward give the plain float64 loops (two-pass statistics) rounded once, bit for bit', () => {
    for (const [rows, width, seed] of [
      [1, 1, 1],
      [7, 16, 2],
      [300, 16, 3],
      [33, 64, 4],
      [5, 5, 5],
    ] as const) {
      tf.tidy(() => {
        const [x, gamma, beta, dy] = [tf.mul(tensorOf([rows, width], seed), 3), tensorOf([width], seed + 1), tensorOf([width], seed + 2), tensorOf([rows, width], seed + 3)];
        const expected = referenceLayerNorm(x.dataSync() as Float32Array, gamma.dataSync() as Float32Array, beta.dataSync() as Float32Array, dy.dataSync() as Float32Array, rows, width, 1e-5);
        expect(Array.from(layerNormOp(x as tf.Tensor2D, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5).dataSync())).toEqual(Array.from(expected.y));
        const [dx, dgamma, dbeta] = tf.engine().runKernel(SCALE_LAYER_NORM_GRAD, { dy, x, gamma }, { epsilon: 1e-5 }) as tf.Tensor[];
        expect(Array.from((dx as tf.Tensor).dataSync())).toEqual(Array.from(expected.dx));
        expect(Array.from((dgamma as tf.Tensor).dataSync())).toEqual(Array.from(expected.dgamma));
        expect(Array.from((dbeta as tf.Tensor).dataSync())).toEqual(Array.from(expected.dbeta));
      });
    }
  });

  it('gradients keep their saved tensors without a copy (no Identity kernel), with tfjs\'s gradients and no leak', async () => {
    const gradientsOn = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      expect(trainingKernelsActive()).toBe(backend === 'wasm');
      const w = tf.variable(tensorOf([6, 8], 21));
      const b = tf.variable(tensorOf([8], 22));
      const gamma = tf.variable(tensorOf([8], 23));
      const x = tensorOf([5, 6], 24);
      const before = tf.memory().numTensors;
      const run = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const h = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
            const normed = layerNormOp(tf.mul(h, h) as tf.Tensor2D, gamma as tf.Tensor1D, tf.zeros([8]), 1e-5);
            return tf.sum(tf.mul(geluOp(normed), tf.add(h, 1)));
          }, [w, b, gamma]);
          return [w, b, gamma].map((v) => Array.from((grads[v.name] as tf.Tensor).dataSync()));
        });
      const profile = await tf.profile(() => void run());
      const values = run();
      expect(tf.memory().numTensors).toBe(before);
      for (const v of [w, b, gamma, x]) v.dispose();
      return { values, kernels: profile.kernelNames };
    };
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    expect(cpu.kernels).toContain('Identity'); // tfjs's own saves
    expect(wasm.kernels).not.toContain('Identity');
    wasm.values.forEach((grad, i) => {
      const expected = cpu.values[i] as number[];
      grad.forEach((g, j) => {
        expect(Math.abs(g - (expected[j] as number))).toBeLessThan(1e-4 * (1 + Math.abs(expected[j] as number)));
      });
    });
  });

  it("maskedHeadSum and headSpread and their gradients give tfjs's mul and sum over heads, bit for bit", () => {
    // Widths through the kernels' 4-column and one-column paths.
    for (const [rows, heads, width] of [
      [37, 4, 16],
      [5, 3, 7],
    ] as const) {
      tf.tidy(() => {
        const x = tensorOf([rows, heads, width], 31) as tf.Tensor3D;
        const q = tensorOf([rows, width], 33) as tf.Tensor2D;
        const mask = tf.tensor2d(
          Float32Array.from({ length: heads * width }, (_, i) => (Math.floor(i / width) === Math.floor(((i % width) * heads) / width) ? 0.5 : 0)),
          [heads, width],
        );
        const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
        const grad = (f: (v: tf.Tensor) => tf.Tensor, at: tf.Tensor, weights: tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), weights)))(at);
        const sum = (v: tf.Tensor) => tf.sum(tf.mul(v, mask), 1);
        expect(bits(maskedHeadSum(x, mask))).toEqual(bits(sum(x)));
        expect(bits(grad((v) => maskedHeadSum(v as tf.Tensor3D, mask), x, tensorOf([rows, width], 32)))).toEqual(bits(grad(sum, x, tensorOf([rows, width], 32))));
        const spread = (v: tf.Tensor) => tf.mul(tf.expandDims(v, 1), mask);
        expect(bits(headSpread(q, mask))).toEqual(bits(spread(q)));
        expect(bits(grad((v) => headSpread(v as tf.Tensor2D, mask), q, tensorOf([rows, heads, width], 34)))).toEqual(bits(grad(spread, q, tensorOf([rows, heads, width], 34))));
      });
    }
    expect(() => tf.tidy(() => maskedHeadSum(tf.zeros([2, 4, 16]), tf.zeros([3, 16])))).toThrow(
      'ScaleMaskedHeadSum: x [2,4,16], mask [3,16]: a float32 x of (rows, heads, width) for a mask of (heads, width)',
    );
    expect(() => tf.tidy(() => headSpread(tf.zeros([2, 8]), tf.zeros([3, 16])))).toThrow('ScaleHeadSpread: x [2,8], mask [3,16]: a float32 x of (rows, width) for a mask of (heads, width)');
  });

  it("headFold and its gradients give headSpread then matMul by W^T, bit for bit (and that composite where it does not serve)", () => {
    // 4 heads of 4 (the kernel), 2 heads of 3 (the composite), a wider n.
    for (const [rows, heads, width, n] of [
      [37, 4, 16, 16],
      [5, 2, 6, 6],
      [9, 2, 8, 12],
    ] as const) {
      tf.tidy(() => {
        const q = tensorOf([rows, width], 41) as tf.Tensor2D;
        const w = tensorOf([n, width], 42) as tf.Tensor2D;
        const slice = width / heads;
        const sel = tf.tensor2d(Float32Array.from({ length: heads * width }, (_, i) => (Math.floor(i / width) === Math.floor((i % width) / slice) ? 1 / Math.sqrt(slice) : 0)), [heads, width]);
        const weights = tensorOf([rows * heads, n], 43);
        const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
        const composite = (a: tf.Tensor, b: tf.Tensor) => matMul(tf.reshape(headSpread(a as tf.Tensor2D, sel), [rows * heads, width]) as tf.Tensor2D, b, false, true);
        const fused = (a: tf.Tensor, b: tf.Tensor) => headFold(a as tf.Tensor2D, sel, b as tf.Tensor2D);
        expect(bits(fused(q, w))).toEqual(bits(composite(q, w)));
        const grads = (f: typeof fused) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weights)))([q, w]);
        const [dq, dw] = grads(fused);
        const [eq, ew] = grads(composite);
        expect(bits(dq as tf.Tensor)).toEqual(bits(eq as tf.Tensor));
        expect(bits(dw as tf.Tensor)).toEqual(bits(ew as tf.Tensor));
      });
    }
  });

  it("headProject and its gradients give matMul then maskedHeadSum, bit for bit (and that composite where it does not serve)", () => {
    for (const [rows, heads, m, width] of [
      [37, 4, 16, 16],
      [5, 2, 6, 6],
      [9, 2, 12, 8],
    ] as const) {
      tf.tidy(() => {
        const p = tensorOf([rows * heads, m], 51) as tf.Tensor2D;
        const w = tensorOf([m, width], 52) as tf.Tensor2D;
        const slice = width / heads;
        const mask = tf.tensor2d(Float32Array.from({ length: heads * width }, (_, i) => (Math.floor(i / width) === Math.floor((i % width) / slice) ? 1 : 0)), [heads, width]);
        const weights = tensorOf([rows, width], 53);
        const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
        const composite = (a: tf.Tensor, b: tf.Tensor) => maskedHeadSum(tf.reshape(matMul(a, b), [rows, heads, width]) as tf.Tensor3D, mask);
        const fused = (a: tf.Tensor, b: tf.Tensor) => headProject(a as tf.Tensor2D, b as tf.Tensor2D, mask);
        expect(bits(fused(p, w))).toEqual(bits(composite(p, w)));
        const grads = (f: typeof fused) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weights)))([p, w]);
        const [dp, dw] = grads(fused);
        const [ep, ew] = grads(composite);
        expect(bits(dp as tf.Tensor)).toEqual(bits(ep as tf.Tensor));
        expect(bits(dw as tf.Tensor)).toEqual(bits(ew as tf.Tensor));
      });
    }
  });

  it('is deterministic: the same inputs give the same bits', () => {
    tf.tidy(() => {
      const [a, b] = [tensorOf([64, 4, 16], 3), tensorOf([64, 16, 16], 4)];
      expect(Array.from(matMul(a, b, false, true).dataSync())).toEqual(Array.from(matMul(a, b, false, true).dataSync()));
    });
  });

  it('still reads the right memory after the tfjs heap grows', () => {
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: { buffer: ArrayBuffer } } } }).wasm.asm.memory;
    const [a, b] = [tensorOf([2, 7, 9], 5), tensorOf([2, 9, 18], 6)];
    const before = memory.buffer.byteLength;
    const big = tf.zeros([before / 4 + 1_000_000]); // more than the whole heap: it must grow
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    tf.tidy(() => {
      expect(maxRelativeError(matMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-5);
    });
    tf.dispose([a, b, big]);
  });

  it('leaks no tensors over many products and gradients', () => {
    const [a, b] = [tensorOf([8, 4, 16], 7), tensorOf([8, 16, 16], 8)];
    const step = () => tf.tidy(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(sumRows(tf.reshape(matMul(x, y, false, true), [32, 16]))))([a, b]));
    tf.dispose(step());
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.dispose(step());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it('names the shapes and the rule for inputs it does not serve', () => {
    const error = (() => {
      try {
        matMulShape([2, 3], [3, 4, 5], false, false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(KernelInputError);
    expect((error as KernelInputError).message).toBe('ScaleMatMul: a [2,3] x b [3,4,5]: a and b must both be rank 2 or both rank 3');
    expect(() => matMulShape([2, 3], [4, 5], false, false)).toThrow('ScaleMatMul: a [2,3] x b [4,5]: the inner dimensions must match');
    expect(() => matMulShape([2, 3, 4], [3, 4, 5], false, false)).toThrow('the batch sizes must be equal');
    expect(() => matMulShape([3, 2], [4, 3], true, true)).toThrow('transposeA and transposeB together are not supported');
    expect(() => tf.tidy(() => matMul(tf.tensor2d([[1]], [1, 1], 'int32'), tf.tensor2d([[1]], [1, 1], 'int32')))).toThrow(/float32 inputs only, got int32/);
  });

  it('segment products and their gradients equal per-segment tf.matMul (empty segments included)', () => {
    expect(trainingKernelsActive()).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }), size, size, fc.boolean(), fc.nat(), (counts, k, n, transposeB, seed) => {
        const segments = [0];
        for (const c of counts) segments.push((segments.at(-1) as number) + c);
        const rows = segments.at(-1) as number;
        if (rows === 0) return;
        const S = counts.length;
        const a = tensorOf([rows, k], seed) as tf.Tensor2D;
        const b = tensorOf(transposeB ? [S, n, k] : [S, k, n], seed + 1) as tf.Tensor3D;
        const y = tensorOf([rows, n], seed + 2) as tf.Tensor2D;
        const dy = tensorOf([rows, n], seed + 3) as tf.Tensor2D;
        const dOuter = tensorOf([S, k, n], seed + 4) as tf.Tensor3D;
        // The reference: each segment's rows against its own matrix, tfjs's ops.
        const reference = (x: tf.Tensor2D, m: tf.Tensor3D): tf.Tensor2D =>
          tf.concat(
            counts.map((c, s) => tf.matMul(tf.slice(x, [segments[s] as number, 0], [c, k]), tf.squeeze(tf.slice(m, [s, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D, false, transposeB)),
            0,
          ) as tf.Tensor2D;
        const referenceOuter = (x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor3D =>
          tf.stack(counts.map((c, s) => (c === 0 ? tf.zeros([k, n]) : tf.matMul(tf.slice(x, [segments[s] as number, 0], [c, k]), tf.slice(z, [segments[s] as number, 0], [c, n]), true, false)))) as tf.Tensor3D;
        tf.tidy(() => {
          expect(maxRelativeError(segmentMatMul(a, b, segments, transposeB), reference(a, b))).toBeLessThan(1e-5);
          expect(maxRelativeError(segmentOuter(a, y, segments), referenceOuter(a, y))).toBeLessThan(1e-5);
          const ours = tf.grads((x: tf.Tensor, m: tf.Tensor) => tf.sum(tf.mul(segmentMatMul(x as tf.Tensor2D, m as tf.Tensor3D, segments, transposeB), dy)))([a, b]);
          const theirs = tf.grads((x: tf.Tensor, m: tf.Tensor) => tf.sum(tf.mul(reference(x as tf.Tensor2D, m as tf.Tensor3D), dy)))([a, b]);
          for (const [i, g] of ours.entries()) expect(maxRelativeError(g, theirs[i] as tf.Tensor)).toBeLessThan(1e-5);
          const oursOuter = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(segmentOuter(x as tf.Tensor2D, z as tf.Tensor2D, segments), dOuter)))([a, y]);
          const theirsOuter = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(referenceOuter(x as tf.Tensor2D, z as tf.Tensor2D), dOuter)))([a, y]);
          for (const [i, g] of oursOuter.entries()) expect(maxRelativeError(g, theirsOuter[i] as tf.Tensor)).toBeLessThan(1e-5);
        });
        tf.dispose([a, b, y, dy, dOuter]);
      }),
      { numRuns: 40 },
    );
  });

  it('segment products refuse offsets that do not cover the rows, naming the rule', () => {
    const a = tf.zeros([5, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    expect(() => segmentMatMul(a, b, [0, 2, 4])).toThrow(KernelInputError);
    expect(() => segmentMatMul(a, b, [0, 2])).toThrow(/3 nondecreasing offsets from 0 to 5/);
    expect(() => segmentOuter(a, tf.zeros([5, 2]) as tf.Tensor2D, [0, 3, 2, 5])).toThrow(KernelInputError);
    tf.dispose([a, b]);
  });

  it('the committed module is kernels.wat assembled', async () => {
    const bytes = await assembleKernels(readFileSync(join(KERNELS_DIR, 'kernels.wat'), 'utf8'));
    expect(readFileSync(join(KERNELS_DIR, 'kernels-wasm.ts'), 'utf8')).toBe(kernelsSource(bytes));
  });
});
