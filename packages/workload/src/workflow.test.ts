import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poissonArrivals, replayArrivals, scaledArrivalRate } from './arrivals.js';
import { generateWorkflowShape, resolveGeneratorParams } from './generator.js';
import { Rng } from './rng.js';
import { hopsToSink, validateWorkflow, type Task, type Workflow } from './workflow.js';
import { paperWorkload, poolWorkload } from './workload.js';

const task = (id: number, parents: number[], extra: Partial<Task> = {}): Task => ({ id, compute: 1, memory: 1, output: 0.1, parents, ...extra });
const wf = (tasks: Task[]): Workflow => ({ id: 7, arrival: 0, tasks });

describe('workflow validation', () => {
  it('accepts a DAG and returns a topological order', () => {
    const order = validateWorkflow(wf([task(0, []), task(1, [0]), task(2, [0, 1])]));
    expect(order).toEqual([0, 1, 2]);
  });

  it.each([
    [[task(0, [1]), task(1, [0])], /workflow 7, task 0: parents form a cycle/],
    [[task(0, [3])], /workflow 7, task 0: parents names task 3, which does not exist/],
    [[task(0, []), task(1, [0, 0])], /task 1: parents lists task 0 twice/],
    [[task(0, [], { compute: 0 })], /task 0: compute must be a finite number > 0, got 0/],
    [[task(0, [], { memory: Number.NaN })], /task 0: memory must be a finite number > 0/],
    [[task(0, [], { output: -1 })], /task 0: output must be a finite number >= 0/],
    [[task(0, []), task(0, [])], /task 0: id is not unique/],
    [[task(0, []), task(1, [0], { parentData: [1, 2] })], /task 1: parentData must have one entry per parent/],
    [[], /workflow 7: tasks must not be empty/],
  ])('rejects an invalid workflow with a typed error naming workflow, task and field (%#)', (tasks, message) => {
    expect(() => validateWorkflow(wf(tasks))).toThrow(message);
  });

  it('computes the longest hop count to a sink', () => {
    // 0 -> 1 -> 3, 0 -> 2, 2 -> 3
    expect(hopsToSink([task(0, []), task(1, [0]), task(2, [0]), task(3, [1, 2])])).toEqual([2, 1, 1, 0]);
  });
});

describe("the paper's generator", () => {
  it('respects every parameter: task count, parents, demand floors and clips', () => {
    const params = resolveGeneratorParams();
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const root = new Rng(seed);
        const shape = generateWorkflowShape(params, root.child('s'), root.child('d'));
        expect(shape.tasks.length).toBeGreaterThanOrEqual(3);
        expect(shape.tasks.length).toBeLessThanOrEqual(8);
        shape.tasks.forEach((t, i) => {
          expect(t.id).toBe(i);
          if (i === 0) expect(t.parents).toEqual([]);
          else {
            expect(t.parents.length).toBeGreaterThanOrEqual(1);
            expect(t.parents.length).toBeLessThanOrEqual(Math.min(2, i));
            expect(new Set(t.parents).size).toBe(t.parents.length);
            expect(t.parents.every((p) => p < i)).toBe(true);
          }
          expect(t.compute).toBeGreaterThanOrEqual(1);
          expect(t.memory).toBeGreaterThanOrEqual(0.5);
          expect(t.memory).toBeLessThanOrEqual(30);
          expect(t.output).toBeGreaterThanOrEqual(0.01);
        });
        validateWorkflow({ ...shape, id: 0, arrival: 0 });
      }),
    );
  });

  it('draws demands with the documented laws (fixed seed, many tasks)', () => {
    const params = resolveGeneratorParams({ compute: { min: 0.0001 }, memory: { min: 0.0001, max: 1000 }, output: { min: 0 } });
    const root = new Rng(99);
    const shapeRng = root.child('s');
    const demandRng = root.child('d');
    const tasks = Array.from({ length: 4000 }, () => generateWorkflowShape(params, shapeRng, demandRng).tasks).flat();
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Normal(4, 2) barely clipped at ~0: mean near 4; memory Normal(6, 4) clipped at ~0: mean slightly above 6.
    expect(mean(tasks.map((t) => t.compute))).toBeCloseTo(4, 0);
    expect(mean(tasks.map((t) => t.output))).toBeCloseTo(0.5, 1);
    expect(mean(tasks.map((t) => t.memory))).toBeGreaterThan(5.8);
  });

  it('overrides parameters and names a bad one with its allowed range', () => {
    const params = resolveGeneratorParams({ minTasks: 10, maxTasks: 10, maxParents: 1 });
    const root = new Rng(1);
    const shape = generateWorkflowShape(params, root.child('s'), root.child('d'));
    expect(shape.tasks).toHaveLength(10);
    expect(shape.tasks.slice(1).every((t) => t.parents.length === 1)).toBe(true);
    expect(() => resolveGeneratorParams({ minTasks: 0 })).toThrow(/generator\.minTasks: expected a number >= 1, received 0/);
    expect(() => resolveGeneratorParams({ compute: { sd: -1 } })).toThrow(/generator\.compute\.sd: expected a number >= 0/);
    expect(() => resolveGeneratorParams({ minTasks: 9, maxTasks: 3 })).toThrow(/generator\.minTasks: expected minTasks <= maxTasks/);
    expect(() => resolveGeneratorParams({ bogus: 1 } as never)).toThrow(/no unknown keys/);
  });

  it('keeps DAG shapes unchanged when a demand law changes (independent streams)', () => {
    const a = paperWorkload({ seed: 5, horizon: 20, arrivalRate: 1 });
    const b = paperWorkload({ seed: 5, horizon: 20, arrivalRate: 1, generator: { compute: { mean: 9 } } });
    expect(b.map((w) => w.arrival)).toEqual(a.map((w) => w.arrival));
    expect(b.map((w) => w.tasks.map((t) => t.parents))).toEqual(a.map((w) => w.tasks.map((t) => t.parents)));
    expect(b.map((w) => w.tasks.map((t) => t.memory))).toEqual(a.map((w) => w.tasks.map((t) => t.memory)));
    expect(b.map((w) => w.tasks.map((t) => t.compute))).not.toEqual(a.map((w) => w.tasks.map((t) => t.compute)));
  });
});

describe('arrivals', () => {
  it('places Poisson arrivals sorted in [0, horizon) with mean count rate x horizon', () => {
    fc.assert(
      fc.property(fc.nat(), fc.double({ min: 0.1, max: 20, noNaN: true }), (seed, rate) => {
        const times = poissonArrivals(new Rng(seed), rate, 10);
        expect(times.every((t, i) => t >= 0 && t < 10 && (i === 0 || t >= (times[i - 1] as number)))).toBe(true);
      }),
    );
    let total = 0;
    for (let seed = 0; seed < 200; seed++) total += poissonArrivals(new Rng(seed), 1.25, 100).length;
    expect(total / 200).toBeGreaterThan(120);
    expect(total / 200).toBeLessThan(130);
    expect(scaledArrivalRate(1.25, 48)).toBe(3.75);
  });

  it('replays explicit times and rejects unsorted or out-of-horizon ones by index', () => {
    expect(replayArrivals([0, 1, 1, 2.5], 3)).toEqual([0, 1, 1, 2.5]);
    expect(() => replayArrivals([0, 2, 1])).toThrow(/arrivals\[2\]: expected a time >= the previous arrival 2, received 1/);
    expect(() => replayArrivals([0, 5], 3)).toThrow(/arrivals\[1\]: expected a time < horizon 3/);
    expect(() => replayArrivals([-1])).toThrow(/arrivals\[0\]/);
  });

  it('builds a byte-identical paper workload from the same seed', () => {
    expect(JSON.stringify(paperWorkload({ seed: 3, horizon: 50, arrivalRate: 1.25 }))).toBe(JSON.stringify(paperWorkload({ seed: 3, horizon: 50, arrivalRate: 1.25 })));
  });

  it('draws a pool workload from the pool uniformly', () => {
    const pool = [{ tasks: [task(0, [])] }, { tasks: [task(0, []), task(1, [0])] }];
    const workload = poolWorkload({ seed: 1, horizon: 400, arrivalRate: 2, pool });
    const twoTask = workload.filter((w) => w.tasks.length === 2).length / workload.length;
    expect(twoTask).toBeGreaterThan(0.44);
    expect(twoTask).toBeLessThan(0.56);
  });
});
