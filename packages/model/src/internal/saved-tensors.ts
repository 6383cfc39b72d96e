import * as tf from '@tensorflow/tfjs';

/**
 * The parts of tfjs-core's `Engine` used here (not in its public types): how a gradient's saved
 * tensors are kept, and the tensor bookkeeping a kernel's output goes through.
 */
interface EngineInternals {
  backendName: string;
  readonly backend: { incRef(dataId: object): void };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor;
  keep<T extends tf.Tensor>(tensor: T): T;
}

/** Marks an engine whose saves are already shared (the method below replaced). */
const SHARED = Symbol.for('scale-ts.sharedSavedTensors');

/**
 * tfjs's autodiff keeps every tensor a gradient saves (an op's `inputsToSave` / `outputsToSave`)
 * through `Engine.clone`: an Identity kernel (on wasm, a copy of the data) plus a tape node, for
 * every saved activation and weight of every op: about 160 of a task-and-server PPO step's 480
 * kernel calls. On the wasm backend this replaces the clone by a second tensor on the same data (a
 * reference count, as tfjs-wasm's Reshape does): tfjs tensors are immutable (a variable's `assign`
 * takes new data), so it reads the same values, and the saved tensors are read only by the gradient
 * functions (no gradient flows through them, so the clone's tape node was never used by a
 * first-order gradient). Other backends keep tfjs's own method. Installed once per engine.
 */
export function shareSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals & { [SHARED]?: true };
  if (engine[SHARED] === true) return;
  const own = engine.saveTensorsForBackwardMode.bind(engine);
  engine.saveTensorsForBackwardMode = (tensors: tf.Tensor[]): tf.Tensor[] => {
    if (engine.backendName !== 'wasm') return own(tensors);
    return tensors.map((tensor) => {
      engine.backend.incRef(tensor.dataId);
      return engine.keep(engine.makeTensorFromTensorInfo({ dataId: tensor.dataId, shape: tensor.shape, dtype: tensor.dtype }, engine.backend));
    });
  };
  engine[SHARED] = true;
}
