import * as tf from '@tensorflow/tfjs';

/**
 * The compute backends, one `--backend` choice shared by every package:
 * - `wasm` (default): `@tensorflow/tfjs-backend-wasm` with SIMD; its `.wasm` files ship inside the
 *   package, so it works offline.
 * - `cpu`: the pure-JavaScript backend inside `@tensorflow/tfjs`.
 * - `tensorflow`: native libtensorflow through `@tensorflow/tfjs-node` (optional, installed by the user).
 * - `tensorflow-gpu`: CUDA libtensorflow through `@tensorflow/tfjs-node-gpu` (optional).
 */
export const BACKENDS = ['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The npm package each optional backend needs. */
const OPTIONAL_BACKEND_PACKAGES: Partial<Record<BackendName, string>> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

/** A backend that is unknown, not installed, or failed to initialise. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    /** Why, including what to install when a package is missing. */
    readonly reason: string,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}`);
  }
}

/**
 * Selects and initialises a backend for every tfjs computation in this process. Optional backends are
 * imported only here, only when asked for, so nothing loads libtensorflow unless the user picks it.
 */
export async function useBackend(name: BackendName | string = 'wasm'): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new BackendUnavailableError(name, `backend: expected one of ${BACKENDS.join(', ')}`);
  }
  const backend = name as BackendName;
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const optionalPackage = OPTIONAL_BACKEND_PACKAGES[backend];
  if (optionalPackage !== undefined) {
    try {
      // A computed specifier keeps bundlers and type checkers from requiring the optional package.
      await import(/* @vite-ignore */ optionalPackage);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      throw new BackendUnavailableError(
        backend,
        missing
          ? `the optional package ${optionalPackage} is not installed; install it with \`pnpm add ${optionalPackage}@4.22.0\` (it downloads libtensorflow at install time)`
          : `${optionalPackage} failed to load: ${(error as Error).message}`,
      );
    }
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new BackendUnavailableError(backend, 'tf.setBackend refused it (initialisation failed)');
  await tf.ready();
  return backend;
}

/** The backend tfjs is using now. */
export function currentBackend(): string {
  return tf.getBackend();
}
