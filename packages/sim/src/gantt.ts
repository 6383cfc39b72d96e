import type { ScheduleTrace } from './trace.js';

/**
 * A Gantt chart of a schedule trace as standalone SVG: one row per server (labelled with id and tier),
 * one bar per attempt coloured by workflow, interrupted attempts outlined in red, time a server waits
 * for input data (delays-start) drawn faint, and down time shaded grey. Each bar has a hover title.
 * Hand-written rather than drawn with a plotting library so that `@scale/sim` stays dependency-light.
 */
export function ganttSvg(trace: ScheduleTrace, options: { width?: number; title?: string } = {}): string {
  const width = options.width ?? 1200;
  const servers = trace.servers;
  const rowHeight = servers.length <= 50 ? Math.max(12, Math.min(24, Math.floor(700 / Math.max(1, servers.length)))) : 8;
  const left = 120;
  const right = 20;
  const top = 40;
  const bottom = 40;
  const plotWidth = width - left - right;
  const height = top + rowHeight * servers.length + bottom;
  const end = Math.max(trace.metrics.time, ...trace.attempts.map((a) => a.end ?? 0), 1e-9);
  const x = (t: number): number => left + (t / end) * plotWidth;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${escapeXml(options.title ?? `Schedule: ${trace.attempts.length} attempts on ${servers.length} servers`)}</text>`,
  );
  servers.forEach((server, row) => {
    const y = top + row * rowHeight;
    if (row % 2 === 1) out.push(`<rect x="${left}" y="${y}" width="${plotWidth}" height="${rowHeight}" fill="#f4f4f4"/>`);
    if (rowHeight >= 10) out.push(`<text x="${left - 6}" y="${y + rowHeight * 0.72}" text-anchor="end">${server.id} ${escapeXml(server.tier)}</text>`);
    // Down time: the complement of the up intervals within [0, end].
    let cursor = 0;
    for (const [up, down] of [...server.upIntervals, [end, null] as const]) {
      if (up > cursor) out.push(`<rect x="${x(cursor).toFixed(2)}" y="${y}" width="${(x(up) - x(cursor)).toFixed(2)}" height="${rowHeight}" fill="#bbb" opacity="0.6"/>`);
      cursor = down ?? end;
    }
  });
  const pad = rowHeight > 6 ? 1 : 0;
  for (const a of trace.attempts) {
    const row = servers.findIndex((s) => s.id === a.server);
    const y = top + row * rowHeight + pad;
    const h = rowHeight - 2 * pad;
    const stop = a.end ?? end;
    const color = workflowColor(a.workflow);
    if (a.assigned !== undefined && a.start > a.assigned) {
      out.push(`<rect x="${x(a.assigned).toFixed(2)}" y="${y}" width="${(x(Math.min(a.start, stop)) - x(a.assigned)).toFixed(2)}" height="${h}" fill="${color}" opacity="0.25"/>`);
    }
    const stroke = a.interrupted ? ' stroke="#d00" stroke-width="1.5" stroke-dasharray="3,2"' : ' stroke="#333" stroke-width="0.3"';
    const label = `workflow ${a.workflow}, task ${a.task}: ${a.start.toFixed(3)} to ${a.end === null ? 'running' : a.end.toFixed(3)} s${a.interrupted ? ' (interrupted)' : ''}`;
    out.push(
      `<rect x="${x(a.start).toFixed(2)}" y="${y}" width="${Math.max(0.5, x(stop) - x(a.start)).toFixed(2)}" height="${h}" fill="${color}"${stroke}><title>${label}</title></rect>`,
    );
  }
  // Time axis.
  const axisY = top + rowHeight * servers.length;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotWidth}" y2="${axisY}" stroke="black"/>`);
  const step = niceStep(end / 10);
  for (let t = 0; t <= end + 1e-9; t += step) {
    out.push(`<line x1="${x(t).toFixed(2)}" y1="${axisY}" x2="${x(t).toFixed(2)}" y2="${axisY + 5}" stroke="black"/>`);
    out.push(`<text x="${x(t).toFixed(2)}" y="${axisY + 18}" text-anchor="middle">${Number(t.toFixed(6))}</text>`);
  }
  out.push(`<text x="${left + plotWidth / 2}" y="${axisY + 34}" text-anchor="middle">simulated time (s)</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

function workflowColor(id: number): string {
  const hue = (id * 137.508) % 360; // golden angle: neighbouring workflows get distant hues
  return `hsl(${hue.toFixed(1)}, 62%, ${id % 2 === 0 ? 58 : 45}%)`;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
