import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ModelConfigSchema } from './config.js';
import { CheckpointError } from './errors.js';
import { Network } from './network.js';

/** Written into every checkpoint; a reader refuses other formats and newer versions. */
export const CHECKPOINT_FORMAT = 'scale-ts/checkpoint';
export const CHECKPOINT_VERSION = 1;
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** One named float32 array with its shape. */
export interface NamedArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A tfjs IO handler over a directory: `model.json` (topology, weights manifest, user metadata) and
 * one `weights.bin`, the layout `tf.io` and the tfjs converter use. Files are written to temporary
 * names and renamed, so a crash mid-save never leaves a half-written checkpoint in place.
 */
export function fileSystemIO(directory: string): Required<Pick<tf.io.IOHandler, 'save' | 'load'>> {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      await mkdir(directory, { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : concatWeightData(artifacts.weightData);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata ?? {},
      };
      await writeFile(join(directory, `${WEIGHTS_BIN}.tmp`), new Uint8Array(data));
      await writeFile(join(directory, `${MODEL_JSON}.tmp`), `${JSON.stringify(modelJson, null, 2)}\n`);
      await rename(join(directory, `${WEIGHTS_BIN}.tmp`), join(directory, WEIGHTS_BIN));
      await rename(join(directory, `${MODEL_JSON}.tmp`), join(directory, MODEL_JSON));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(0),
          modelTopologyType: 'JSON',
          weightDataBytes: data.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const path = join(directory, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new CheckpointError(directory, `cannot read ${MODEL_JSON} (${(error as Error).message})`);
      }
      let json: {
        format?: string;
        generatedBy?: string;
        modelTopology?: object;
        weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
        userDefinedMetadata?: Record<string, unknown>;
      };
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new CheckpointError(directory, `${MODEL_JSON} is not valid JSON (${(error as Error).message})`);
      }
      const manifest = json.weightsManifest;
      if (!Array.isArray(manifest) || manifest.length === 0) throw new CheckpointError(directory, `${MODEL_JSON} has no weightsManifest`);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const file of group.paths) {
          try {
            buffers.push(await readFile(join(directory, file)));
          } catch (error) {
            throw new CheckpointError(directory, `cannot read weights file ${file} (${(error as Error).message})`);
          }
        }
      }
      const total = buffers.reduce((s, b) => s + b.byteLength, 0);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const b of buffers) {
        weightData.set(b, offset);
        offset += b.byteLength;
      }
      return {
        ...(json.format === undefined ? {} : { format: json.format }),
        ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
        ...(json.modelTopology === undefined ? {} : { modelTopology: json.modelTopology }),
        weightSpecs: specs,
        weightData: weightData.buffer,
        userDefinedMetadata: (json.userDefinedMetadata ?? {}) as { [key: string]: object },
      };
    },
  };
}

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** FNV-1a over the weight bytes: a corrupt weights file is caught, not loaded. */
function checksum(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Writes named float32 arrays and JSON metadata as a tfjs-format checkpoint. The metadata carries the
 * format, its version and a checksum of the weights. Used for networks and for whole agents
 * (several networks, optimizer moments, RNG state, counters).
 */
export async function writeCheckpoint(directory: string, arrays: ReadonlyMap<string, NamedArray>, metadata: Record<string, unknown>): Promise<void> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const total = [...arrays.values()].reduce((s, a) => s + a.data.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const [name, array] of arrays) {
    const size = array.shape.reduce((a, b) => a * b, 1);
    if (size !== array.data.length) throw new RangeError(`checkpoint array ${name}: shape [${array.shape.join(', ')}] does not hold ${array.data.length} values`);
    specs.push({ name, shape: [...array.shape], dtype: 'float32' });
    flat.set(array.data, offset);
    offset += array.data.length;
  }
  const bytes = new Uint8Array(flat.buffer);
  await fileSystemIO(directory).save({
    format: CHECKPOINT_FORMAT,
    generatedBy: '@scale/model',
    convertedBy: null,
    modelTopology: {},
    weightSpecs: specs,
    weightData: flat.buffer,
    userDefinedMetadata: { ...metadata, format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_VERSION, checksum: checksum(bytes) },
  });
}

/** Reads a checkpoint written by `writeCheckpoint`, verifying format, version, sizes and checksum. */
export async function readCheckpoint(directory: string): Promise<{ arrays: Map<string, NamedArray>; metadata: Record<string, unknown> }> {
  const artifacts = await fileSystemIO(directory).load();
  const metadata = (artifacts.userDefinedMetadata ?? {}) as Record<string, unknown>;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(directory, `format: expected "${CHECKPOINT_FORMAT}", received ${JSON.stringify(metadata.format)}`);
  }
  const version = metadata.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > CHECKPOINT_VERSION) {
    throw new CheckpointError(directory, `formatVersion: expected an integer in [1, ${CHECKPOINT_VERSION}], received ${JSON.stringify(version)}`);
  }
  const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
  const specs = artifacts.weightSpecs ?? [];
  let expectedBytes = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') throw new CheckpointError(directory, `weight ${spec.name}: dtype must be float32, received ${spec.dtype}`);
    expectedBytes += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  if (bytes.byteLength !== expectedBytes) {
    throw new CheckpointError(directory, `${WEIGHTS_BIN} holds ${bytes.byteLength} bytes, the manifest describes ${expectedBytes} (truncated or corrupt)`);
  }
  if (metadata.checksum !== checksum(bytes)) throw new CheckpointError(directory, `${WEIGHTS_BIN} checksum mismatch (corrupt)`);
  const arrays = new Map<string, NamedArray>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    arrays.set(spec.name, { shape: spec.shape, data: new Float32Array(bytes.slice(offset, offset + 4 * size).buffer) });
    offset += 4 * size;
  }
  return { arrays, metadata };
}

/** The network's parameters as named arrays (a copy). */
export function networkArrays(network: Network, prefix = ''): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  const values = network.params.read();
  const shapes = network.params.list().map((v) => v.shape);
  network.params.names().forEach((name, i) => {
    out.set(`${prefix}${name}`, { shape: shapes[i] as number[], data: values.get(name) as Float32Array });
  });
  return out;
}

/** Saves one network (its config inside) as a tfjs-format checkpoint directory. */
export async function saveNetwork(network: Network, directory: string): Promise<void> {
  await writeCheckpoint(directory, networkArrays(network), { kind: 'network', config: network.config });
}

/**
 * Loads a network saved by `saveNetwork`. A cross-attention network runs at any N after loading; an
 * MLP one keeps its N.
 */
export async function loadNetwork(directory: string): Promise<Network> {
  const { arrays, metadata } = await readCheckpoint(directory);
  if (metadata.kind !== 'network') throw new CheckpointError(directory, `kind: expected "network", received ${JSON.stringify(metadata.kind)}`);
  const parsed = ModelConfigSchema.safeParse(metadata.config);
  if (!parsed.success) throw new CheckpointError(directory, `config is invalid (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  const network = new Network(parsed.data);
  try {
    loadNetworkArrays(network, arrays, directory);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return network;
}

/** Writes arrays (named as `networkArrays(…, prefix)` names them) into `network`, checking every name and shape. */
export function loadNetworkArrays(network: Network, arrays: ReadonlyMap<string, NamedArray>, path: string, prefix = ''): void {
  const values = new Map<string, NamedArray>();
  for (const name of network.params.names()) {
    const entry = arrays.get(`${prefix}${name}`);
    if (entry === undefined) throw new CheckpointError(path, `missing weight ${prefix}${name} (the checkpoint does not match this network)`);
    values.set(name, entry);
  }
  try {
    network.params.write(values);
  } catch (error) {
    throw new CheckpointError(path, (error as Error).message);
  }
}
