import { ConfigError } from './errors.js';
import type { Rng } from './rng.js';

/** Arrival times of a Poisson process of `rate` per second on [0, horizon), sorted. */
export function poissonArrivals(rng: Rng, rate: number, horizon: number): number[] {
  if (!Number.isFinite(rate) || rate <= 0) throw new ConfigError('arrivalRate', 'a finite number > 0', rate);
  if (!Number.isFinite(horizon) || horizon <= 0) throw new ConfigError('horizon', 'a finite number > 0', horizon);
  const times: number[] = [];
  let t = rng.exponential(1 / rate);
  while (t < horizon) {
    times.push(t);
    t += rng.exponential(1 / rate);
  }
  return times;
}

/** Replays explicit arrival times; they must be finite, >= 0, non-decreasing and before `horizon`. */
export function replayArrivals(times: readonly number[], horizon = Number.POSITIVE_INFINITY): number[] {
  times.forEach((t, i) => {
    if (!Number.isFinite(t) || t < 0) throw new ConfigError(`arrivals[${i}]`, 'a finite time >= 0', t);
    if (t >= horizon) throw new ConfigError(`arrivals[${i}]`, `a time < horizon ${horizon}`, t);
    if (i > 0 && t < (times[i - 1] as number)) {
      throw new ConfigError(`arrivals[${i}]`, `a time >= the previous arrival ${times[i - 1]}`, t);
    }
  });
  return [...times];
}

/** The paper's arrival-rate scaling: `lambda_N = lambda_16 * N / 16`. */
export function scaledArrivalRate(lambda16: number, nodes: number): number {
  return (lambda16 * nodes) / 16;
}
