/**
 * The clairvoyant rollout's cost and gain: drained episodes of the paper workload (horizon 100 s) at
 * the given N and arrival rates, `sjf`, `eft`, `mct` and `rollout-sjf+eft+mct` on each, seeds 0-3.
 * One JSON line per episode: each policy's mean response time, the rollout's wall seconds, its
 * decision points with more than one candidate (`lookaheads`) and how many of those it decided
 * otherwise than sjf would have (`departures`); and the cost of one `fork()` halfway through the sjf
 * run (`forkMicros`, the mean of 5,000 after 1,000 untimed) against one sjf decision there (`decisionMicros`).
 *
 *   pnpm --filter @scale/sim bench:rollout                   # N = 16, lambda_16 = 1.25 and 1.875
 *   pnpm --filter @scale/sim bench:rollout -- 48 1.25        # N, then lambda_16 values
 */
import { applyDecision, createSimulation, makePolicy, type RolloutPolicy, runEpisode, type SimConfigInput } from '../src/index.js';

const [nodesArg, ...rates] = process.argv.slice(2).filter((a) => a !== '--');
const nodes = Number(nodesArg ?? 16);
const lambdas = rates.length > 0 ? rates.map(Number) : [1.25, 1.875];
const heuristics = ['sjf', 'eft', 'mct'] as const;
const rollout = 'rollout-sjf+eft+mct';

for (const lambda16 of lambdas) {
  for (let seed = 0; seed < 4; seed++) {
    const config = { nodes, seed, lambda16, horizon: 100, drain: true };
    const means: Record<string, number> = {};
    for (const name of heuristics) means[name] = runEpisode(createSimulation(config), makePolicy(name)).metrics().meanResponseTime as number;
    const policy = makePolicy(rollout) as RolloutPolicy;
    const started = process.hrtime.bigint();
    const sim = runEpisode(createSimulation(config), policy);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    means[rollout] = sim.metrics().meanResponseTime as number;
    // After the rollout, so the JIT has compiled the fork and sjf paths.
    const { forkMicros, decisionMicros } = forkCost(config);
    const best = Math.min(...heuristics.map((h) => means[h] as number));
    console.log(
      JSON.stringify({
        nodes,
        lambda16,
        seed,
        means,
        gainOverBestPercent: Number((100 * (1 - (means[rollout] as number) / best)).toFixed(2)),
        seconds: Number(seconds.toFixed(2)),
        decisions: sim.decisions,
        lookaheads: policy.lookaheads,
        departures: policy.departures,
        forkMicros,
        decisionMicros,
      }),
    );
  }
}

/** Microseconds per fork, and per sjf decision, halfway through an sjf run of `config`. */
function forkCost(config: SimConfigInput): { forkMicros: number; decisionMicros: number } {
  const whole = runEpisode(createSimulation(config), makePolicy('sjf'));
  const sjf = makePolicy('sjf');
  const sim = createSimulation(config);
  for (let i = 0; i < whole.decisions / 2 && sim.next(); i++) applyDecision(sim, (sjf.decide as NonNullable<typeof sjf.decide>)(sim));
  sim.next();
  // Warm-up first (the JIT), then 5,000 timed forks.
  for (let i = 0; i < 1000; i++) sim.fork();
  const forks = 5000;
  let started = process.hrtime.bigint();
  for (let i = 0; i < forks; i++) sim.fork();
  const forkMicros = Number(process.hrtime.bigint() - started) / 1e3 / forks;
  started = process.hrtime.bigint();
  const rest = runEpisode(sim, sjf);
  const decisionMicros = Number(process.hrtime.bigint() - started) / 1e3 / Math.max(1, rest.decisions - whole.decisions / 2);
  return { forkMicros: Number(forkMicros.toFixed(1)), decisionMicros: Number(decisionMicros.toFixed(2)) };
}
