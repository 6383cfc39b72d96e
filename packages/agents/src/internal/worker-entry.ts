import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A `new Worker(script, { eval: true })` script that runs a TypeScript module (tests, tsx benches):
 * it registers tsx's loader inside the worker first, since a worker does not inherit the parent's.
 */
export function typeScriptWorkerScript(module: URL | string): string {
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const source = typeof module === 'string' ? module : module.href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(source)}); });`;
}
