import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventKind, EventQueue, EVENT_PRIORITY, Kernel } from './kernel.js';

describe('event queue', () => {
  it('pops events ordered by (time, priority, insertion sequence)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ time: fc.integer({ min: 0, max: 20 }), priority: fc.integer({ min: 0, max: 3 }) }), { maxLength: 300 }),
        (events) => {
          const queue = new EventQueue();
          events.forEach((e, i) => {
            queue.push(e.time, e.priority, 0, i, 0);
          });
          const expected = events.map((e, i) => ({ ...e, i })).sort((a, b) => a.time - b.time || a.priority - b.priority || a.i - b.i);
          const popped: number[] = [];
          while (queue.pop()) popped.push(queue.poppedA);
          expect(popped).toEqual(expected.map((e) => e.i));
        },
      ),
    );
  });

  it('dispatches through the handler table and orders one instant as completions, failures, joins, arrivals', () => {
    const seen: string[] = [];
    const names = ['completion', 'failure', 'leave', 'join', 'arrival'];
    const kernel = new Kernel(names.map((name) => (a: number) => seen.push(`${name}:${a}`)));
    kernel.schedule(1, EventKind.Arrival, 1);
    kernel.schedule(1, EventKind.Join, 2);
    kernel.schedule(1, EventKind.Failure, 3);
    kernel.schedule(1, EventKind.Completion, 4);
    kernel.schedule(0.5, EventKind.Arrival, 5);
    kernel.runUntil(1);
    expect(seen).toEqual(['arrival:5', 'completion:4', 'failure:3', 'join:2', 'arrival:1']);
    expect(kernel.now).toBe(1);
    expect(EVENT_PRIORITY).toEqual([0, 1, 1, 2, 3]);
    expect(() => kernel.schedule(0.9, EventKind.Arrival)).toThrow(/before now/);
  });
});
