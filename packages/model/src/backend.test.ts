import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, currentBackend, useBackend } from './backend.js';

describe('backends', () => {
  it('selects wasm and cpu', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(currentBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('names the allowed backends for an unknown one', async () => {
    await expect(useBackend('tpu')).rejects.toThrow(/expected one of wasm, cpu, tensorflow, tensorflow-gpu/);
  });

  it('says which package to install for a missing optional backend', async () => {
    let installed = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      installed = false;
    }
    if (installed) return; // this tree has tfjs-node: nothing to refuse
    const error = await useBackend('tensorflow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/@tensorflow\/tfjs-node is not installed; install it with `pnpm add @tensorflow\/tfjs-node@4\.22\.0`/);
    await expect(useBackend('tensorflow-gpu')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu/);
  });
});
