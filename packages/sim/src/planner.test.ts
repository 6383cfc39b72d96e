import fc from 'fast-check';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import { DEFER } from './decision.js';
import { Planner } from './internal/planner.js';
import { makePolicy } from './policies.js';
import { createSimulation } from './setup.js';
import type { Simulation } from './simulation.js';

/** Fuzz settings: SCALE_DEEP=1 (`pnpm test:deep`) raises the number of generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 10 : ci);

/** The plan's state written plainly: each server's available-at, and which servers can still take a start now. */
class PlainPlan {
  readonly availableAt: Float64Array;
  readonly freeNow: Uint8Array;

  constructor(private readonly sim: Simulation) {
    this.availableAt = Float64Array.from({ length: sim.serverCount }, (_, j) => (sim.isUp(j) ? sim.serverFreeAt(j) : Number.NaN));
    this.freeNow = Uint8Array.from({ length: sim.serverCount }, (_, j) => (sim.isIdle(j) ? 1 : 0));
  }

  finish(task: number, server: number): number {
    const sim = this.sim;
    let start = Math.max(sim.now, this.availableAt[server] as number);
    if (sim.options.communication === 'delays-start') start = Math.max(start, sim.dataReadyTime(task, server));
    return start + sim.taskCompute(task) / sim.serverCompute(server);
  }

  /** The two best up servers that hold `task`, over every server, by (finish, available-at, id). */
  bestTwo(task: number): [number, number] {
    const sim = this.sim;
    const order: number[] = [];
    for (let j = 0; j < sim.serverCount; j++) if (sim.isUp(j) && sim.serverMemory(j) >= sim.taskMemory(task)) order.push(j);
    order.sort((a, b) => this.finish(task, a) - this.finish(task, b) || (this.availableAt[a] as number) - (this.availableAt[b] as number) || a - b);
    return [order[0] ?? -1, order[1] ?? -1];
  }

  largestIdleMemory(): number {
    let memory = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < this.sim.serverCount; j++) if (this.freeNow[j] === 1) memory = Math.max(memory, this.sim.serverMemory(j));
    return memory;
  }

  place(server: number, finish: number): void {
    if (finish !== this.sim.now) this.freeNow[server] = 0;
    this.availableAt[server] = finish;
  }
}

const runArb = fc.record({
  seed: fc.integer({ min: 0, max: 100_000 }),
  nodes: fc.integer({ min: 1, max: 48 }),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  withFailures: fc.boolean(),
  planEvery: fc.integer({ min: 1, max: 7 }),
  lambda16: fc.constantFrom(1.25, 3),
});

describe('Planner (the list and batch schedulers\' plan)', { timeout: deep ? 3_600_000 : 120_000 }, () => {
  it('evaluate, largestIdleMemory and the best-two-stand rule match plain definitions through random plans', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const sim = createSimulation({
          seed: r.seed,
          nodes: r.nodes,
          horizon: Math.max(2, 30 / r.nodes),
          drain: true,
          drainLimit: 100_000,
          communication: r.communication,
          lambda16: r.lambda16,
          ...(r.withFailures ? { failures: { mtbf: 15, mttr: 2 } } : {}),
        });
        const driver = makePolicy('mct');
        const planner = new Planner(sim);
        const rng = new Rng(r.seed).child('planner-test');
        let point = 0;
        while (sim.next()) {
          if (point++ % r.planEvery === 0) {
            // A plan of random placements (any server that holds the task, not only its best).
            planner.beginPlan();
            const plain = new PlainPlan(sim);
            const tasks = sim.readyTasksInOrder();
            // Best two before the last placement, of the tasks whose best two did not include its server.
            let kept = new Map<number, [number, number]>();
            // canStart answers (plain rule, fastest rule) of earlier passes: once false, they stay false.
            const refused = new Set<string>();
            while (tasks.length > 0) {
              expect(planner.largestIdleMemory).toBe(plain.largestIdleMemory());
              const current = new Map<number, [number, number]>();
              for (const task of tasks) {
                planner.evaluate(task);
                const [best, second] = plain.bestTwo(task);
                expect([planner.best, planner.second]).toEqual([best, second]);
                if (best >= 0) expect(planner.bestFinish).toBe(plain.finish(task, best));
                if (second >= 0) expect(planner.secondFinish).toBe(plain.finish(task, second));
                const before = kept.get(task);
                if (before !== undefined) expect([best, second]).toEqual(before);
                current.set(task, [best, second]);
                const fits = (j: number) => plain.freeNow[j] === 1 && sim.serverMemory(j) >= sim.taskMemory(task);
                const anyFits = Array.from({ length: sim.serverCount }, (_, j) => j).some(fits);
                expect(planner.canStart(task, false)).toBe(anyFits);
                for (const fastest of [false, true]) {
                  const can = planner.canStart(task, fastest);
                  if (refused.has(`${task} ${fastest}`)) expect(can).toBe(false);
                  if (!can) refused.add(`${task} ${fastest}`);
                  // MET's choice starts now only if canStart said it could.
                  if (fastest && !can) {
                    planner.evaluateFastest(task);
                    if (planner.best >= 0) expect(plain.freeNow[planner.best] === 1 && sim.isIdle(planner.best)).toBe(false);
                  }
                }
              }
              const task = tasks.splice(rng.int(0, tasks.length - 1), 1)[0] as number;
              // Half the time a server still free now, so that classes run out of idle servers.
              const freeFirst = rng.int(0, 1) === 0;
              let holders: number[] = [];
              for (let j = 0; j < sim.serverCount; j++) if (sim.isUp(j) && sim.serverMemory(j) >= sim.taskMemory(task)) holders.push(j);
              if (freeFirst && holders.some((j) => plain.freeNow[j] === 1)) holders = holders.filter((j) => plain.freeNow[j] === 1);
              if (holders.length === 0) continue;
              const server = holders[rng.int(0, holders.length - 1)] as number;
              const finish = planner.finish(task, server);
              expect(finish).toBe(plain.finish(task, server));
              planner.place(task, server, finish);
              plain.place(server, finish);
              kept = new Map([...current].filter(([, [best, second]]) => best !== server && second !== server && second >= 0));
            }
          }
          const decision = driver.decide?.(sim) ?? { task: sim.task, server: DEFER };
          if (decision.server === DEFER) sim.deferToNextEvent();
          else sim.assignTask(decision.task, decision.server);
        }
        expect(sim.outcome).toBe('terminated');
      }),
      { numRuns: runs(12) },
    );
  });
});
