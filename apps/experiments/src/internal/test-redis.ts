import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A Redis server for the queue tests: one this process started on loopback, or the one `SCALE_TEST_REDIS_URL` names. */
export interface TestRedis {
  readonly url: string;
  /** True when this process started it (it may then be configured: a password). */
  readonly own: boolean;
  stop(): Promise<void>;
}

const HOW_TO_ENABLE = 'install redis-server (Debian: apt-get install -y redis-server) or set SCALE_TEST_REDIS_URL=redis://HOST:PORT';

/** Whether `redis-server` can be started here. */
export function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Why the Redis tests cannot run here, or null when they can. In CI (`CI=true`) they must run:
 * `requireRedis` then fails instead of skipping.
 */
export function redisUnavailableReason(): string | null {
  if (process.env.SCALE_TEST_REDIS_URL !== undefined && process.env.SCALE_TEST_REDIS_URL !== '') return null;
  if (redisServerOnPath()) return null;
  return `no Redis for the queue tests: ${HOW_TO_ENABLE}`;
}

/** In CI a missing Redis is a failure, never a skip. */
export function redisTestsMustRun(): boolean {
  return process.env.CI === 'true';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Starts a throwaway `redis-server` on a free loopback port (no persistence), optionally with a password. */
export async function startOwnRedis(password?: string): Promise<TestRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(password !== undefined ? ['--requirepass', password] : [])];
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100 && !(await accepting(port)); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  const url = `redis://${password !== undefined ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}`;
  return {
    url,
    own: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The Redis of `SCALE_TEST_REDIS_URL`, or a server of our own; fails with how to enable it when there is neither. */
export async function requireRedis(): Promise<TestRedis> {
  const url = process.env.SCALE_TEST_REDIS_URL;
  if (url !== undefined && url !== '') return { url, own: false, stop: async () => undefined };
  if (!redisServerOnPath()) throw new Error(`CI=true but ${redisUnavailableReason() ?? 'no Redis'}`);
  return startOwnRedis();
}
