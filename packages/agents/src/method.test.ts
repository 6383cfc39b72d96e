import { envLayout } from '@scale/env';
import { describe, expect, it } from 'vitest';
import { METHOD_PRESETS, methodModelLayout, resolveMethod } from './method.js';

describe('methods', () => {
  it("the paper's presets carry none of issue 14's keys (stored methods unchanged)", () => {
    for (const name of ['scale', 'crossattn', 'ppo', 'ppo-srr', 'dqn', 'sac', 'dqn-crossattn', 'sac-crossattn']) {
      const method = resolveMethod(name);
      expect(Object.keys(method).sort(), name).toEqual(['agent', 'encoder', 'srr']);
      expect(methodModelLayout(method)).toEqual({});
    }
  });

  it('scale-rt and crossattn-rt: response time, queue-aware, task-and-server, defer, cap 4, per-second discounting', () => {
    const scaleRt = resolveMethod('scale-rt');
    expect(scaleRt).toMatchObject({ agent: 'ppo', encoder: 'cross-attention', discount: 'per-second' });
    expect(scaleRt.srr).not.toBeNull();
    expect(scaleRt.env).toEqual({ objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow: 'level-1-and-shortest' });
    expect(resolveMethod('crossattn-rt')).toEqual({ ...scaleRt, srr: null });
    // The env's layout of those settings: queue-aware widths, pairs, the cap.
    expect(methodModelLayout(scaleRt)).toEqual(envLayout({ observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4 }));
    expect(methodModelLayout(scaleRt)).toMatchObject({ actions: 'task-and-server', defer: true, candidates: 4, pairFeatures: 1 });
    expect(Object.keys(METHOD_PRESETS)).toContain('scale-rt');
  });

  it('refuses combinations it cannot train, naming the field', () => {
    expect(() => resolveMethod({ agent: 'dqn', encoder: 'mlp', srr: null, discount: 'per-second' })).toThrow(/method\.discount: expected "per-step" with agent dqn/);
    expect(() => resolveMethod({ agent: 'ppo', encoder: 'mlp', srr: null, env: { actions: 'task-and-server' } })).toThrow(/method\.encoder: expected "cross-attention" with task-and-server actions or defer/);
    expect(() => resolveMethod({ agent: 'ppo', encoder: 'cross-attention', srr: null, env: { candidates: 0 } })).toThrow(/method\.env\.candidates/);
    expect(() => resolveMethod('scale-rtt')).toThrow(/method: expected one of scale, crossattn, .*scale-rt, crossattn-rt, scale-il, crossattn-il, received "scale-rtt"/);
    expect(() => resolveMethod({ agent: 'dagger', encoder: 'cross-attention', srr: null, normalizeReturns: true })).toThrow(/method\.normalizeReturns: expected false with agent dagger/);
  });

  it('scale-il and crossattn-il: the objective-reward methods\' layout, trained by DAgger', () => {
    const scaleIl = resolveMethod('scale-il');
    expect(scaleIl).toEqual({ agent: 'dagger', encoder: 'cross-attention', srr: resolveMethod('scale-rt').srr, env: resolveMethod('scale-rt').env });
    expect(resolveMethod('crossattn-il')).toEqual({ ...scaleIl, srr: null });
    expect(methodModelLayout(scaleIl)).toEqual(methodModelLayout(resolveMethod('scale-rt')));
  });
});
