import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { type ExitStatus, integer } from '../internal/cli-options.js';
import { parseQueueUrl } from '../queue-connection.js';
import { runQueueWorker } from '../queue-worker.js';

/** `scale worker`: runs the train and evaluate jobs of `scale reproduce --queue` on this machine. */
export function registerWorker(program: Command, exit: ExitStatus): void {
  program
    .command('worker')
    .description('run the jobs of `scale reproduce --queue URL` on this machine (results go back through Redis; no shared filesystem)')
    .requiredOption('--queue <url>', 'the Redis of the sweep: redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... (TLS)')
    .addOption(new Option('--concurrency <k>', 'jobs at a time, each in its own process (default: the CPU count)').argParser(integer('--concurrency')))
    .addOption(new Option('--lock-seconds <s>', 'a lost worker\'s job is taken up by another worker about this long after').argParser(integer('--lock-seconds')).default(30))
    .action(async (flags: { queue: string; concurrency?: number; lockSeconds: number }) => {
      const connection = parseQueueUrl(flags.queue);
      const concurrency = flags.concurrency ?? Math.max(1, availableParallelism());
      if (concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency: expected an integer in [1, 256], received ${concurrency}`);
      if (flags.lockSeconds < 2 || flags.lockSeconds > 3600) throw new UsageError(`--lock-seconds: expected an integer in [2, 3600], received ${flags.lockSeconds}`);
      let stop: () => void = () => undefined;
      const stopSignal = new Promise<void>((resolve) => {
        stop = resolve;
      });
      let interrupts = 0;
      const onSignal = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        stop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await runQueueWorker({ connection, concurrency, lockSeconds: flags.lockSeconds, log: (line) => process.stderr.write(`scale worker: ${line}\n`), stopSignal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      exit.code = interrupts > 0 ? 130 : 0;
    });
}
