import { FastNetwork, type Network, type ObservationLike } from '@scale/model';
import { Rng } from '@scale/workload';
import { applyMask, argmax, greedyWithDefer, logSumExp, sampleCategorical } from './internal/sampling.js';

/** How a network's outputs become an action. */
export type PolicyMode = 'greedy' | 'sample';

/**
 * Receives the encoder features of every decision (a `FeatureBuffer`, or any sink): one push per
 * scored task, its attention feature (what SRR regularises). A paper decision scores one task, so
 * it pushes the state feature; a task-and-server decision with k candidates pushes their k `h_k`.
 */
export interface FeatureSink {
  push(feature: Float32Array): void;
}

export interface NetworkPolicyOptions {
  /** Mask mode: invalid actions' logits (or Q-values) are masked, so they are never chosen. */
  readonly mask: boolean;
  /**
   * `greedy`: the argmax of the (masked) logits or Q-values, ties to the lowest index; with a defer
   * action and a policy head, the wait-or-start choice is taken first (`greedyWithDefer`: defer only
   * when it has more than half the probability, else the most probable assignment). `sample`: one
   * draw from the softmax of the (masked) logits; a network without a policy head (Q values) acts
   * greedily in both modes.
   */
  readonly mode: PolicyMode;
  /** Seeds the sampling stream, `new Rng(seed).child('eval:sample')` (default 0); ignored with `rng`. */
  readonly seed?: number;
  /** The sampling stream itself (an agent's checkpointed behaviour stream); takes precedence over `seed`. */
  readonly rng?: Rng;
  /** Gets the attention feature of every scored task of every decision (Table 5's statistics). */
  readonly features?: FeatureSink;
}

/** A decision with what PPO's rollout stores beside it. */
export interface PolicyDecision {
  action: number;
  /** log pi(action | obs) under the masked policy (the softmax of the masked logits or Q-values). */
  logProb: number;
  /** The critic's V(obs) (what the network's value head gives; meaningless without one). */
  value: number;
}

/**
 * A network acting through its fast Float32Array path (`FastNetwork`), the one way every caller
 * turns network outputs into actions: training's rollouts and `act`, `scale eval` and the
 * experiments. Call `refresh()` after the network's weights change.
 */
export class NetworkPolicy {
  readonly fast: FastNetwork;
  readonly mask: boolean;
  readonly mode: PolicyMode;
  /** The sampling stream (`sample` mode). An agent restoring a checkpoint replaces it. */
  rng: Rng;
  private readonly features: FeatureSink | null;
  /** The masked logits of the last decision, float64; grown to the largest action count A seen. */
  private logits = new Float64Array(1024);
  private readonly decision: PolicyDecision = { action: 0, logProb: 0, value: 0 };

  constructor(network: Network | FastNetwork, options: NetworkPolicyOptions) {
    if (options.mode !== 'greedy' && options.mode !== 'sample') throw new RangeError(`mode: expected greedy or sample, received ${JSON.stringify(options.mode)}`);
    this.fast = network instanceof FastNetwork ? network : new FastNetwork(network);
    this.mask = options.mask;
    this.mode = options.mode;
    this.rng = options.rng ?? new Rng(options.seed ?? 0).child('eval:sample');
    this.features = options.features ?? null;
  }

  /** The action for `obs` (bound: `const choose = policy.act` works). */
  readonly act = (obs: ObservationLike): number => this.choose(obs);

  /**
   * The action with its log-probability and V(obs). The returned object is reused: read it before
   * the next call.
   */
  decide(obs: ObservationLike): Readonly<PolicyDecision> {
    const decision = this.decision;
    decision.action = this.choose(obs);
    decision.logProb = (this.logits[decision.action] as number) - logSumExp(this.logits, obs.mask.length);
    return decision;
  }

  /** Re-reads the network's current weights (after an update or a load). */
  refresh(): void {
    this.fast.refresh();
  }

  /**
   * Runs the network, leaves the masked logits in `this.logits` and V in `this.decision.value`. The
   * choice is over the observation's A actions (`mask.length`: N in the paper's layout; k N, plus
   * defer, with task-and-server actions), an index in its own layout.
   */
  private choose(obs: ObservationLike): number {
    const out = this.fast.forward(obs);
    if (this.features !== null) pushTaskFeatures(this.features, out.feature, out.candidateFeatures, obs.k ?? 1);
    const actions = obs.mask.length;
    if (this.logits.length < actions) this.logits = new Float64Array(actions);
    applyMask((out.logits ?? out.q) as Float32Array, obs.mask, this.mask, this.logits);
    this.decision.value = out.value;
    if (out.logits === null) return argmax(this.logits, actions);
    if (this.mode === 'sample') return sampleCategorical(this.logits, actions, this.rng);
    return obs.defer === true && actions > 1 ? greedyWithDefer(this.logits, actions) : argmax(this.logits, actions);
  }
}

/** One push per scored task: the state feature for one task, else each candidate's `h_k` (k x d rows). */
function pushTaskFeatures(sink: FeatureSink, feature: Float32Array, candidateFeatures: Float32Array, k: number): void {
  if (k === 1) {
    sink.push(feature);
    return;
  }
  const d = candidateFeatures.length / k;
  for (let c = 0; c < k; c++) sink.push(candidateFeatures.subarray(c * d, (c + 1) * d));
}

/**
 * A trained (or training) network as a policy: `policyFromNetwork(network, { mask, mode })`.
 * `policy.act(obs)` chooses; `policy.decide(obs)` also gives the log-probability and V(obs).
 * For one seed, `sample` mode draws the same actions as training's behaviour policy drawing from the
 * same stream, and as `scale eval --policy-mode sample` (stream `new Rng(seed).child('eval:sample')`).
 */
export function policyFromNetwork(network: Network | FastNetwork, options: NetworkPolicyOptions): NetworkPolicy {
  return new NetworkPolicy(network, options);
}
