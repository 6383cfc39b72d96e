import { InvalidActionError } from '@scale/sim';
import { Rng } from '@scale/workload';
import { SchedulingEnv, type StepResult } from './env.js';
import { ResetNeededError } from './errors.js';
import type { Observation } from './observation.js';

/** The problems `checkEnv` found; thrown when there is at least one. */
export class EnvCheckError extends Error {
  override readonly name = 'EnvCheckError';
  constructor(readonly problems: readonly string[]) {
    super(`the env failed ${problems.length} check(s):\n- ${problems.join('\n- ')}`);
  }
}

export interface EnvCheckReport {
  readonly steps: number;
  readonly episodes: number;
  readonly invalidStepsChecked: number;
}

/**
 * Checks an env against the contract, like Gymnasium's env checker: step before reset raises;
 * observations lie inside the observation space; the mask agrees with validity; rewards are finite;
 * `terminated` and `truncated` are never both set and stepping after either raises; an invalid choice
 * in penalize mode returns r_invalid and moves the clock by at most dt; `info.elapsed` is the time since
 * the previous decision; with the response-time objective a drained episode's rewards sum to
 * -(sum of response times) / scale + r_invalid * invalid choices; and the same seed with the same
 * actions gives identical observations, rewards and infos. Every layout (task-and-server, defer,
 * queue-aware) is checked the same way. Throws `EnvCheckError` listing every problem.
 */
export function checkEnv(env: SchedulingEnv, options: { seed?: number; steps?: number } = {}): EnvCheckReport {
  const seed = options.seed ?? 0;
  const maxSteps = options.steps ?? 2000;
  const problems: string[] = [];
  const problem = (text: string): void => {
    if (problems.length < 50) problems.push(text);
  };

  const fresh = new SchedulingEnv(env.config);
  try {
    fresh.step(0);
    problem('step() before reset() did not throw ResetNeededError');
  } catch (error) {
    if (!(error instanceof ResetNeededError)) problem(`step() before reset() threw ${(error as Error).name}, not ResetNeededError`);
  }

  // One seeded run with a mix of valid and (in penalize mode) invalid actions, recorded for replay.
  const actions: number[] = [];
  const record: string[] = [];
  const chooser = new Rng(seed).child('check-env');
  const penalize = env.config.invalidAction === 'penalize';
  let steps = 0;
  let episodes = 0;
  let invalidStepsChecked = 0;
  const responseTime = env.config.objective === 'response-time';
  let episodeReward = 0;
  let { obs, info } = env.reset({ seed });
  record.push(fingerprint(obs, 0, info));
  while (steps < maxSteps) {
    const inSpace = env.observationSpace.violations(obs);
    if (inSpace.length > 0) problem(`observation outside the space at step ${steps}: ${inSpace.slice(0, 3).join('; ')}`);
    for (let a = 0; a < obs.mask.length; a++) {
      if ((obs.mask[a] === 1) !== env.isValidAction(a)) problem(`mask[${a}] = ${obs.mask[a]} disagrees with validity at step ${steps}`);
    }
    const valid = [...obs.mask.keys()].filter((a) => obs.mask[a] === 1);
    const invalid = [...obs.mask.keys()].filter((a) => obs.mask[a] === 0);
    const tryInvalid = penalize && invalid.length > 0 && chooser.next() < 0.2;
    const action = tryInvalid ? (invalid[chooser.int(0, invalid.length - 1)] as number) : (valid[chooser.int(0, Math.max(0, valid.length - 1))] ?? 0);
    const before = info.time;
    let result: StepResult;
    try {
      result = env.step(action);
    } catch (error) {
      if (error instanceof InvalidActionError && !penalize) break;
      problem(`step(${action}) threw ${(error as Error).name}: ${(error as Error).message}`);
      break;
    }
    actions.push(action);
    steps++;
    episodeReward += result.reward;
    if (!Number.isFinite(result.reward)) problem(`reward ${result.reward} at step ${steps} is not finite`);
    if (result.info.elapsed !== result.info.time - before) problem(`info.elapsed = ${result.info.elapsed} at step ${steps}, but the clock moved by ${result.info.time - before}`);
    if (result.terminated && result.truncated) problem(`terminated and truncated both set at step ${steps}`);
    if (tryInvalid) {
      invalidStepsChecked++;
      const penalty = responseTime ? result.info.rewardParts.invalid : result.reward;
      if (penalty !== env.config.reward.rInvalid) problem(`invalid action at step ${steps} returned ${penalty}, not r_invalid`);
      const dt = env.config.invalidActionDelay;
      if (result.info.time < before + dt - 1e-9 && !(result.terminated || result.truncated)) {
        problem(`invalid action at step ${steps} moved the clock by ${result.info.time - before}, less than dt = ${dt}`);
      }
    }
    record.push(fingerprint(result.obs, result.reward, result.info, result.terminated, result.truncated));
    obs = result.obs;
    info = result.info;
    if (result.terminated || result.truncated) {
      episodes++;
      const episode = result.info.episode;
      if (episode === undefined) problem(`info.episode missing at the end of episode ${episodes}`);
      else if (responseTime && result.terminated) {
        const responses = (episode.meanResponseTime ?? 0) * episode.completedTasks;
        const expected = -responses / env.config.responseTimeScale + env.config.reward.rInvalid * episode.invalidActions;
        if (Math.abs(episodeReward - expected) > 1e-9 * Math.max(1, Math.abs(expected))) {
          problem(`the response-time rewards sum to ${episodeReward}, not -(sum of response times) / scale + r_invalid x invalid = ${expected}`);
        }
      }
      try {
        env.step(0);
        problem('step() after the episode ended did not throw ResetNeededError');
      } catch (error) {
        if (!(error instanceof ResetNeededError)) problem(`step() after the end threw ${(error as Error).name}, not ResetNeededError`);
      }
      break;
    }
  }

  // Replay: the same seed and the same actions give the same observations, rewards and infos.
  const replay = env.reset({ seed });
  const again: string[] = [fingerprint(replay.obs, 0, replay.info)];
  for (const action of actions) {
    const r = env.step(action);
    again.push(fingerprint(r.obs, r.reward, r.info, r.terminated, r.truncated));
  }
  const firstDiff = record.findIndex((line, i) => line !== again[i]);
  if (firstDiff >= 0 || record.length !== again.length) problem(`same seed and actions diverged at step ${firstDiff}`);

  if (problems.length > 0) throw new EnvCheckError(problems);
  return { steps, episodes, invalidStepsChecked };
}

function fingerprint(obs: Observation, reward: number, info: object, ...flags: boolean[]): string {
  const extended = [obs.k, obs.tasks, obs.pairs, obs.global, obs.defer].map((field) => (field instanceof Float32Array ? Array.from(field) : field));
  return JSON.stringify([Array.from(obs.task), Array.from(obs.servers), Array.from(obs.mask), obs.n, reward, info, flags, extended]);
}
