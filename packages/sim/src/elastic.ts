import { ConfigError, type Rng } from '@scale/workload';
import type { ElasticEvent } from './options.js';

export interface RandomFailureConfig {
  /** Mean time between failures of one server (s), exponential. */
  readonly mtbf: number;
  /** Mean time to repair: a failed server rejoins after an exponential delay of this mean (s). */
  readonly mttr: number;
}

/**
 * A seeded failure-and-repair process: each server independently fails after Exp(mtbf) up time and
 * rejoins after Exp(mttr), over [0, until). Each server draws from its own child stream, so adding
 * servers never changes the failures of the others.
 */
export function randomFailureEvents(rng: Rng, serverCount: number, config: RandomFailureConfig, until: number): ElasticEvent[] {
  if (!(config.mtbf > 0) || !Number.isFinite(config.mtbf)) throw new ConfigError('failures.mtbf', 'a finite number > 0 (s)', config.mtbf);
  if (!(config.mttr > 0) || !Number.isFinite(config.mttr)) throw new ConfigError('failures.mttr', 'a finite number > 0 (s)', config.mttr);
  const events: ElasticEvent[] = [];
  for (let server = 0; server < serverCount; server++) {
    const stream = rng.child(server);
    let t = stream.exponential(config.mtbf);
    while (t < until) {
      events.push({ time: t, kind: 'fail', server });
      t += stream.exponential(config.mttr);
      if (t >= until) break;
      events.push({ time: t, kind: 'join', server });
      t += stream.exponential(config.mtbf);
    }
  }
  return events.sort((a, b) => a.time - b.time || a.server - b.server);
}
