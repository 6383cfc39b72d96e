/**
 * A `scale reproduce` worker process: runs the jobs its parent sends, one at a time, on its own core.
 * Started with `fork(worker.js, [backend])`; speaks the messages of `./pool.ts` over IPC.
 */
import { useBackend } from '@scale/model';
import { runJob } from './jobs.js';
import type { ParentMessage, WorkerMessage } from './pool.js';

let stop = false;
// The terminal's Ctrl-C reaches the whole process group; the parent also sends `stop`.
process.on('SIGINT', () => {
  stop = true;
});

function send(message: WorkerMessage): void {
  process.send?.(message);
}

const backend = process.argv[2] ?? 'wasm';
const versions = JSON.parse(process.argv[3] ?? '{}') as Record<string, string>;
await useBackend(backend);

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') {
    stop = true;
    return;
  }
  if (message.type === 'exit') {
    process.disconnect();
    return;
  }
  const { job, outDir } = message;
  runJob(outDir, job, {
    versions,
    stopRequested: () => stop,
    progress: (progress) => send({ type: 'progress', id: job.id, progress }),
  }).then(
    () => send({ type: stop ? 'stopped' : 'done', id: job.id }),
    (error: unknown) => send({ type: 'failed', id: job.id, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
send({ type: 'ready' });
