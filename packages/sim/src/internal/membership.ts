import { ConfigError } from '@scale/workload';
import type { ServerSpec } from '../cluster.js';
import { EventKind } from '../kernel.js';
import type { ElasticEvent } from '../options.js';

/** A timed join, leave or failure to put on the kernel's queue. */
export interface MembershipEvent {
  readonly time: number;
  readonly kind: EventKind;
  readonly server: number;
}

/**
 * Who is up at t = 0 and every later join, leave and failure, from the servers' `upIntervals` (each
 * server in id order) and then the explicit elastic events, in that order (it fixes the kernel's
 * tie-breaking sequence). Validates both; a bad interval or server id is a `ConfigError`.
 */
export function initialMembership(
  servers: readonly ServerSpec[],
  elasticEvents: readonly ElasticEvent[],
): { readonly upAtStart: number[]; readonly events: MembershipEvent[] } {
  const upAtStart: number[] = [];
  const events: MembershipEvent[] = [];
  servers.forEach((server, j) => {
    const intervals = server.upIntervals ?? [[0, null]];
    let previousEnd = 0;
    intervals.forEach(([start, end], i) => {
      const field = `servers[${j}].upIntervals[${i}]`;
      if (!Number.isFinite(start) || start < previousEnd || (i > 0 && start <= previousEnd)) {
        throw new ConfigError(field, `a start >= 0 after the previous interval's end (${previousEnd})`, start);
      }
      if (end !== null && !(end > start)) throw new ConfigError(field, `an end > its start (${start}) or null`, end);
      if (end === null && i < intervals.length - 1) throw new ConfigError(field, 'an end (only the last interval may be open)', end);
      if (start === 0) upAtStart.push(j);
      else events.push({ time: start, kind: EventKind.Join, server: j });
      if (end !== null) {
        events.push({ time: end, kind: EventKind.Failure, server: j });
        previousEnd = end;
      }
    });
  });
  const n = servers.length;
  elasticEvents.forEach((event, i) => {
    if (event.server >= n) throw new ConfigError(`options.elasticEvents[${i}].server`, `a server id in [0, ${n - 1}]`, event.server);
    const kind = event.kind === 'join' ? EventKind.Join : event.kind === 'leave' ? EventKind.Leave : EventKind.Failure;
    events.push({ time: event.time, kind, server: event.server });
  });
  return { upAtStart, events };
}
