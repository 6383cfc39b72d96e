import { describe, expect, it } from 'vitest';
import { figureSpec, lastRowPerEpoch, renderSvg, trainingCurves } from './figure.js';

const epoch = (e: number, episodes: number, ret: number | null) => ({ epoch: e, episodes, meanEpisodeReturn: ret });

describe('lastRowPerEpoch', () => {
  it('counts an epoch a resumed run logged twice once, keeping the row written last', () => {
    const rows = [epoch(350, 1, 1), epoch(351, 1, 2), epoch(352, 1, 3), epoch(351, 1, 20), epoch(352, 1, 30), epoch(353, 1, 40)];
    expect(lastRowPerEpoch(rows)).toEqual([epoch(350, 1, 1), epoch(351, 1, 20), epoch(352, 1, 30), epoch(353, 1, 40)]);
    // A duplicated epoch no longer weighs twice in its bin.
    expect(trainingCurves([{ method: 'scale', records: lastRowPerEpoch(rows) }], 10).map((p) => p.mean)).toEqual([1, 30]);
  });
});

describe('trainingCurves', () => {
  it('weights a bin by the episodes that ended in it and skips epochs where none ended', () => {
    const points = trainingCurves([{ method: 'scale', records: [epoch(1, 1, 10), epoch(2, 3, 2), epoch(3, 0, null), epoch(4, 0, null)] }], 2);
    // Epochs 1-2: (10 * 1 + 2 * 3) / 4 = 4; epochs 3-4 have no finished episode.
    expect(points).toEqual([{ method: 'scale', epoch: 2, mean: 4, low: 4, high: 4, seeds: 1 }]);
  });

  it('averages seeds and bands by one standard deviation across them', () => {
    const points = trainingCurves(
      [
        { method: 'ppo', records: [epoch(1, 1, 1)] },
        { method: 'ppo', records: [epoch(1, 1, 3)] },
        { method: 'dqn', records: [epoch(1, 2, 0)] },
      ],
      1,
    );
    const ppo = points.find((p) => p.method === 'ppo');
    expect(ppo).toMatchObject({ mean: 2, seeds: 2 });
    expect(ppo?.high).toBeCloseTo(2 + Math.SQRT2, 12);
    expect(points.find((p) => p.method === 'dqn')).toMatchObject({ mean: 0, seeds: 1 });
  });
});

describe('renderSvg', () => {
  it('renders the Vega-Lite spec to a standalone SVG with a legend entry per method', async () => {
    const points = trainingCurves(
      [
        { method: 'scale', records: [epoch(1, 1, 1), epoch(2, 1, 2)] },
        { method: 'sac', records: [epoch(1, 1, 0.5), epoch(2, 1, 0.7)] },
      ],
      1,
    );
    const svg = await renderSvg(figureSpec(points, ['scale', 'sac'], 'Figure 6 test'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Figure 6 test');
    expect(svg).toContain('>scale<');
    expect(svg).toContain('>sac<');
    expect(svg).toContain('mean episode return');
  });

  it('draws a reference line in the legend, dashes to tell methods apart, and solid legend swatches', async () => {
    const points = trainingCurves(
      [
        { method: 'scale', records: [epoch(1, 1, 1), epoch(2, 1, 2)] },
        { method: 'crossattn', records: [epoch(1, 1, 1), epoch(2, 1, 2)] },
      ],
      1,
    );
    const spec = figureSpec(points, ['scale', 'crossattn'], 'Figure 6 test', ['a note on the axis'], [{ label: 'eft (reference)', value: 1.5 }]);
    const svg = await renderSvg(spec);
    expect(svg).toContain('>eft (reference)<');
    expect(svg).toContain('a note on the axis');
    expect(svg).toContain('stroke-dasharray="7,4"');
    expect(JSON.stringify(spec)).toContain('"symbolOpacity":1');
  });
});
