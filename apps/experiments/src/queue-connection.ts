import type { ConnectionOptions } from 'bullmq';

/** A `--queue` URL that is not a Redis URL the queue can use. */
export class QueueUrlError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    /** The URL with its password replaced by `***`. */
    readonly received: string,
  ) {
    super(`${field}: expected ${expected}, received ${JSON.stringify(received)}`);
    this.name = 'QueueUrlError';
  }
}

/** Redis cannot be reached or refuses us (wrong password, TLS mismatch) within the bounded connection retries. */
export class QueueUnavailableError extends Error {
  constructor(
    /** The URL with its password replaced by `***`. */
    readonly url: string,
    readonly reason: string,
  ) {
    super(`--queue ${url}: cannot use Redis there (${reason})`);
    this.name = 'QueueUnavailableError';
  }
}

/** Where the queue lives, parsed from `redis://[[user]:password@]host[:port][/db]` or `rediss://` (TLS). */
export interface QueueConnection {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username: string | null;
  readonly password: string | null;
  readonly tls: boolean;
  /** The URL as it may be shown: the password replaced by `***`. */
  readonly display: string;
}

const DEFAULT_PORT = 6379;
/** Connection attempts before giving up: an unreachable Redis fails in about two seconds, not after minutes. */
const CONNECT_ATTEMPTS = 5;

/** Replaces the password of every `scheme://user:password@` in `text` by `***`. */
function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^\s]*@/gi, '$1***@');
}

/** Parses a `--queue` URL; errors show the URL without its password. */
export function parseQueueUrl(url: string, field = '--queue'): QueueConnection {
  const shown = redactUrl(url);
  const expected = 'redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... (TLS)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(field, expected, shown);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueUrlError(field, expected, shown);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new QueueUrlError(field, `${expected} (a host)`, shown);
  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new QueueUrlError(field, `${expected} (a port in [1, 65535])`, shown);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isInteger(db) || db < 0 || db > 15) throw new QueueUrlError(field, `${expected} (a database number in [0, 15])`, shown);
  if (parsed.search !== '' || parsed.hash !== '') throw new QueueUrlError(field, `${expected} (no query or fragment)`, shown);
  const password = parsed.password === '' ? null : decodeURIComponent(parsed.password);
  const username = parsed.username === '' ? null : decodeURIComponent(parsed.username);
  const display = `${parsed.protocol}//${username ?? ''}${password !== null ? ':***' : ''}${username !== null || password !== null ? '@' : ''}${parsed.host}${db === 0 ? '' : `/${db}`}`;
  return { host, port, db, username, password, tls: parsed.protocol === 'rediss:', display };
}

/**
 * The Redis client options of a connection: bounded retries (a lost Redis ends the process with one
 * line instead of hanging), TLS for `rediss://`, and `maxRetriesPerRequest: null` as BullMQ's
 * blocking workers require.
 */
export function connectionOptions(connection: QueueConnection): ConnectionOptions {
  return {
    host: connection.host,
    port: connection.port,
    db: connection.db,
    ...(connection.username !== null ? { username: connection.username } : {}),
    ...(connection.password !== null ? { password: connection.password } : {}),
    ...(connection.tls ? { tls: { servername: connection.host } } : {}),
    connectTimeout: 2_000,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (times >= CONNECT_ATTEMPTS ? null : Math.min(100 * 2 ** times, 1_000)),
  };
}

/** Removes the connection's password from any text (error messages, job failures) before it is shown or stored. */
export function redact(text: string, connection: QueueConnection): string {
  let out = redactUrl(text);
  if (connection.password !== null && connection.password !== '') out = out.split(connection.password).join('***');
  if (connection.password !== null) out = out.split(encodeURIComponent(connection.password)).join('***');
  return out;
}

/** One line describing why Redis could not be used (the first line of the error, redacted). */
export function unavailableReason(error: unknown, connection: QueueConnection): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = (text.split('\n')[0] ?? '').trim() || 'connection closed';
  return redact(line, connection);
}

/** Whether an error is Redis lost or refusing us (not a bug of ours): it is then shown as `QueueUnavailableError`. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'ReplyError' || /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|NOAUTH|WRONGPASS/.test(error.message);
}
