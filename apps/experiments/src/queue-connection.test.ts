import { describe, expect, it } from 'vitest';
import { connectionOptions, parseQueueUrl, QueueUrlError, redact, unavailableReason } from './queue-connection.js';

describe('parseQueueUrl', () => {
  it('reads host, port, database, user and password; TLS for rediss://', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380')).toEqual({ host: '10.0.0.5', port: 6380, db: 0, username: null, password: null, tls: false, display: 'redis://10.0.0.5:6380' });
    expect(parseQueueUrl('redis://queue.lab')).toMatchObject({ host: 'queue.lab', port: 6379, db: 0 });
    expect(parseQueueUrl('rediss://:s3cr%40t@queue.lab:6390/3')).toEqual({
      host: 'queue.lab',
      port: 6390,
      db: 3,
      username: null,
      password: 's3cr@t',
      tls: true,
      display: 'rediss://:***@queue.lab:6390/3',
    });
    expect(parseQueueUrl('redis://sweeper:pw@[::1]:7000')).toMatchObject({ host: '::1', port: 7000, username: 'sweeper', password: 'pw', display: 'redis://sweeper:***@[::1]:7000' });
  });

  it('refuses what is not a Redis URL, naming the flag and the form, never showing the password', () => {
    for (const bad of ['http://:secret@host:6379', 'redis://:secret@host:99999', 'redis://:secret@host/16', 'redis://:secret@host/x', 'not a url secret', 'redis://:secret@host?tls=1']) {
      let error: unknown = null;
      try {
        parseQueueUrl(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(QueueUrlError);
      const message = (error as Error).message;
      expect(message).toMatch(/^--queue: expected redis:\/\//);
      expect(message.split('\n')).toHaveLength(1);
      if (bad.startsWith('redis://') || bad.startsWith('http://')) expect(message).not.toContain('secret');
    }
  });
});

describe('redaction', () => {
  it('removes the password from any text, plain or URL-encoded, and from URLs', () => {
    const connection = parseQueueUrl('redis://:p%2Fw0rd@host:6379');
    expect(redact('AUTH p/w0rd failed; url redis://:p%2Fw0rd@host:6379', connection)).toBe('AUTH *** failed; url redis://:***@host:6379');
    expect(unavailableReason(new Error('WRONGPASS invalid username-password pair\n    at stack'), connection)).toBe('WRONGPASS invalid username-password pair');
  });

  it('gives the Redis client the password, TLS and bounded retries', () => {
    const options = connectionOptions(parseQueueUrl('rediss://:pw@host:6390/2')) as Record<string, unknown>;
    expect(options).toMatchObject({ host: 'host', port: 6390, db: 2, password: 'pw', tls: { servername: 'host' }, maxRetriesPerRequest: null });
    const retry = options.retryStrategy as (times: number) => number | null;
    expect(retry(1)).toBeGreaterThan(0);
    expect(retry(5)).toBeNull();
    expect(connectionOptions(parseQueueUrl('redis://host'))).not.toHaveProperty('tls');
  });
});
