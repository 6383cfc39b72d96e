import type { Assignment } from '@scale/sim';
import type { RewardConfig } from './config.js';

/** The reward and its parts (paper eq. 2, or the response-time objective), reported separately in `info.rewardParts`. */
export interface RewardParts {
  /** exp(-t_exec / T0) for a valid assignment, else 0. */
  readonly time: number;
  /** -beta * t_comm / C0 (t_comm from the server of the task's first parent). */
  readonly communication: number;
  /** -gamma * E / E0, E = busyPower_j * t_exec. */
  readonly energy: number;
  /** r_invalid for an invalid choice, else 0. */
  readonly invalid: number;
  /**
   * The response-time objective only: minus the area under the number of arrived, unfinished tasks
   * since the last charge (task-seconds), / responseTimeScale. Absent with the paper's reward.
   */
  readonly responseTime?: number;
}

/** Paper eq. 2: `r = exp(-t_exec/T0) - beta t_comm/C0 - gamma E/E0`, or `r_invalid` (assignment null). */
export function rewardParts(assignment: Assignment | null, config: RewardConfig): RewardParts {
  if (assignment === null) return { time: 0, communication: 0, energy: 0, invalid: config.rInvalid };
  return {
    time: Math.exp(-assignment.execTime / config.T0),
    communication: (-config.beta * assignment.commTime) / config.C0,
    energy: (-config.gamma * assignment.energy) / config.E0,
    invalid: 0,
  };
}

/**
 * The response-time objective's parts for a step that charged `area` task-seconds: eq. 2's terms are
 * 0, `responseTime` is -area / scale, and an invalid choice adds r_invalid.
 */
export function responseTimeParts(area: number, invalid: boolean, scale: number, config: RewardConfig): RewardParts {
  return { time: 0, communication: 0, energy: 0, invalid: invalid ? config.rInvalid : 0, responseTime: -area / scale };
}

export function totalReward(parts: RewardParts): number {
  const paper = parts.time + parts.communication + parts.energy + parts.invalid;
  return parts.responseTime === undefined ? paper : paper + parts.responseTime;
}
