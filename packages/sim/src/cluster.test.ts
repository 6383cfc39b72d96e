import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeCluster, paperTierCounts } from './cluster.js';
import { createSimulation, resolveSimConfig } from './setup.js';

describe('cluster presets', () => {
  it("matches the paper's Table 1 at N = 16, 32, 48", () => {
    expect(paperTierCounts(16)).toEqual({ small: 4, medium: 10, large: 2 });
    expect(paperTierCounts(32)).toEqual({ small: 8, medium: 20, large: 4 });
    expect(paperTierCounts(48)).toEqual({ small: 12, medium: 30, large: 6 });
    expect(paperTierCounts(1)).toEqual({ small: 0, medium: 1, large: 0 });
    expect(paperTierCounts(2)).toEqual({ small: 0, medium: 1, large: 1 });
  });

  it('keeps the 2:5:1 ratio for any N, with ids 0..N-1 in tier order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), (n) => {
        const servers = makeCluster({ nodes: n });
        expect(servers).toHaveLength(n);
        expect(servers.every((s, i) => s.id === i)).toBe(true);
        const counts = paperTierCounts(n);
        expect(counts.small + counts.medium + counts.large).toBe(n);
        if (n >= 3) {
          expect(counts.small).toBe(Math.max(1, Math.round(n / 4)));
          expect(counts.large).toBe(Math.max(1, Math.round(n / 8)));
          expect(counts.medium).toBeGreaterThanOrEqual(1);
        }
        const tiers = servers.map((s) => s.tier);
        expect([...tiers].sort((a, b) => ['small', 'medium', 'large'].indexOf(a) - ['small', 'medium', 'large'].indexOf(b))).toEqual(tiers);
      }),
    );
  });

  it('explicit servers fix N: nodes may repeat their count, never contradict it', () => {
    const servers = makeCluster({ tiers: [{ tier: 'small', count: 2 }, { tier: 'large', count: 1 }] });
    expect(resolveSimConfig({ servers }).nodes).toBe(3);
    expect(createSimulation({ servers, horizon: 5 }).serverCount).toBe(3);
    expect(createSimulation({ servers, nodes: 3, horizon: 5 }).serverCount).toBe(3);
    // Before, the servers won over nodes without a word: an evaluation "at N = 48" ran these 3.
    expect(() => createSimulation({ servers, nodes: 48 })).toThrow(/^config\.nodes: expected 3 \(the number of servers given\) or absent, received 48$/);
  });

  it('accepts explicit tier counts and custom tiers, and names bad fields', () => {
    const gpu = { name: 'gpu', compute: 16, memory: 160, idlePower: 100, busyPower: 700 };
    const servers = makeCluster({ tiers: [{ tier: 'small', count: 2 }, { tier: gpu, count: 1 }] });
    expect(servers.map((s) => s.tier)).toEqual(['small', 'small', 'gpu']);
    expect(servers[2]).toMatchObject({ id: 2, compute: 16, memory: 160 });
    expect(() => makeCluster({ nodes: 0 })).toThrow(/nodes: expected an integer >= 1/);
    expect(() => makeCluster({ tiers: [{ tier: 'tiny' as 'small', count: 1 }] })).toThrow(/tiers\[0\]\.tier/);
    expect(() => makeCluster({ tiers: [{ tier: { ...gpu, compute: -1 }, count: 1 }] })).toThrow(/servers\[0\]\.compute: expected a finite number > 0/);
    expect(() => makeCluster({ servers: [{ id: 1, tier: 'x', compute: 1, memory: 1, idlePower: 0, busyPower: 0 }] })).toThrow(/servers\[0\]\.id/);
  });
});
