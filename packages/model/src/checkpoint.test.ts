import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@scale/workload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { batchObservations } from './batch.js';
import { loadNetwork, saveNetwork } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { randomCandidateObservation, randomObservation } from './internal/test-utils.js';
import { Network } from './network.js';

let dir = '';
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'scale-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('save and load', () => {
  it('round-trips every parameter bit for bit, with the config inside, in the tfjs layout', async () => {
    const net = new Network({ outputs: { policy: true, value: true, q: true }, seed: 7 });
    const path = join(dir, 'ca');
    await saveNetwork(net, path);
    const modelJson = JSON.parse(await readFile(join(path, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(modelJson.userDefinedMetadata.formatVersion).toBe(1);
    expect(modelJson.userDefinedMetadata.config.embedDim).toBe(16);
    const loaded = await loadNetwork(path);
    const a = net.params.read();
    const b = loaded.params.read();
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, values] of a) expect(Buffer.from((b.get(name) as Float32Array).buffer).equals(Buffer.from(values.buffer))).toBe(true);
    // A cross-attention checkpoint runs at any N.
    for (const n of [1, 16, 48]) {
      const obs = batchObservations([randomObservation(new Rng(n), n)]);
      expect(loaded.predict(obs).logits).toEqual(net.predict(obs).logits);
    }
    net.dispose();
    loaded.dispose();
  });

  it('a task-and-server network with defer, global context and pairs round-trips with its layout', async () => {
    const config = { actions: 'task-and-server', defer: true, globalFeatures: 3, pairFeatures: 1, candidates: 4, seed: 5 } as const;
    const net = new Network(config);
    const path = join(dir, 'task-and-server');
    await saveNetwork(net, path);
    const loaded = await loadNetwork(path);
    expect(loaded.layout).toEqual(net.layout);
    expect(loaded.params.names()).toEqual(net.params.names());
    const obs = batchObservations([randomCandidateObservation(new Rng(3), 6, 4, { defer: true, global: 3, pairs: true })]);
    expect(loaded.predict(obs).logits).toEqual(net.predict(obs).logits);
    net.dispose();
    loaded.dispose();
  });

  it('an MLP checkpoint keeps its N', async () => {
    const net = new Network({ encoder: 'mlp', servers: 4 });
    await saveNetwork(net, join(dir, 'mlp'));
    const loaded = await loadNetwork(join(dir, 'mlp'));
    expect(loaded.config.servers).toBe(4);
    expect(() => loaded.predict(batchObservations([randomObservation(new Rng(1), 5)]))).toThrow(/fixed N = 4/);
    net.dispose();
    loaded.dispose();
  });

  it('refuses corrupt, truncated, missing and foreign checkpoints with a clear error', async () => {
    const net = new Network({});
    const path = join(dir, 'bad');
    await saveNetwork(net, path);
    const weights = await readFile(join(path, 'weights.bin'));
    const modelJson = await readFile(join(path, 'model.json'), 'utf8');

    const flipped = Buffer.from(weights);
    flipped[10] = (flipped[10] as number) ^ 0xff;
    await writeFile(join(path, 'weights.bin'), flipped);
    await expect(loadNetwork(path)).rejects.toThrow(/checksum mismatch/);

    await writeFile(join(path, 'weights.bin'), weights.subarray(0, weights.length - 8));
    await expect(loadNetwork(path)).rejects.toThrow(/truncated or corrupt/);

    await writeFile(join(path, 'weights.bin'), weights);
    await writeFile(join(path, 'model.json'), modelJson.slice(0, 40));
    await expect(loadNetwork(path)).rejects.toThrow(/not valid JSON/);

    const json = JSON.parse(modelJson);
    json.userDefinedMetadata.formatVersion = 99;
    await writeFile(join(path, 'model.json'), JSON.stringify(json));
    await expect(loadNetwork(path)).rejects.toThrow(/formatVersion: expected an integer in \[1, 1\], received 99/);

    json.userDefinedMetadata.formatVersion = 1;
    json.userDefinedMetadata.config.embedDim = 32;
    await writeFile(join(path, 'model.json'), JSON.stringify(json));
    await expect(loadNetwork(path)).rejects.toThrow(CheckpointError);

    await expect(loadNetwork(join(dir, 'nowhere'))).rejects.toThrow(/cannot read model\.json/);
    net.dispose();
  });
});
