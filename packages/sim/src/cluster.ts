import { ConfigError } from '@scale/workload';
import { z } from 'zod';

/** A server type (paper Table 1). */
export interface ServerTier {
  readonly name: string;
  /** Compute capacity `C_j` in GFLOP/s. */
  readonly compute: number;
  /** Memory `M_j` in GB. */
  readonly memory: number;
  /** Power drawn when up and not computing (W). */
  readonly idlePower: number;
  /** Power drawn while computing (W). */
  readonly busyPower: number;
}

/** One server of a cluster. `upIntervals` (optional) schedules joins and failures: `[[0, null]]` = always up. */
export interface ServerSpec extends Omit<ServerTier, 'name'> {
  readonly id: number;
  readonly tier: string;
  readonly upIntervals?: readonly (readonly [number, number | null])[];
}

/**
 * The JSON form of a `ServerSpec`, shared by run configs (`servers`) and scenario files, which add
 * defaults for the optional fields.
 */
export const ServerSpecSchema = z.object({
  id: z.number().int().min(0),
  tier: z.string(),
  compute: z.number().positive().finite(),
  memory: z.number().positive().finite(),
  idlePower: z.number().min(0).finite(),
  busyPower: z.number().min(0).finite(),
  upIntervals: z.array(z.tuple([z.number().min(0).finite(), z.number().finite().nullable()]).readonly()).readonly().optional(),
});

export const SMALL: ServerTier = { name: 'small', compute: 1, memory: 8, idlePower: 30, busyPower: 100 };
export const MEDIUM: ServerTier = { name: 'medium', compute: 2, memory: 32, idlePower: 50, busyPower: 200 };
export const LARGE: ServerTier = { name: 'large', compute: 4, memory: 80, idlePower: 80, busyPower: 400 };
/** The paper's three tiers, in the order servers are numbered. */
export const PAPER_TIERS: readonly ServerTier[] = [SMALL, MEDIUM, LARGE];

/**
 * The paper's 2:5:1 tier counts for any N (DESIGN.md section 2): small = max(1, round(N/4)),
 * large = max(1, round(N/8)), medium = the rest; N = 2 is one medium and one large, N = 1 one medium.
 */
export function paperTierCounts(nodes: number): { small: number; medium: number; large: number } {
  if (!Number.isInteger(nodes) || nodes < 1) throw new ConfigError('nodes', 'an integer >= 1', nodes);
  if (nodes === 1) return { small: 0, medium: 1, large: 0 };
  if (nodes === 2) return { small: 0, medium: 1, large: 1 };
  const small = Math.max(1, Math.round(nodes / 4));
  const large = Math.max(1, Math.round(nodes / 8));
  return { small, medium: nodes - small - large, large };
}

export type ClusterConfig =
  /** The paper's preset at any N. */
  | { readonly nodes: number }
  /** Explicit counts per tier (paper tiers by name, or custom tiers). */
  | { readonly tiers: readonly { readonly tier: ServerTier | 'small' | 'medium' | 'large'; readonly count: number }[] }
  /** Fully explicit servers. */
  | { readonly servers: readonly ServerSpec[] };

/** Builds the server list of a cluster; ids are 0..N-1 in tier order. */
export function makeCluster(config: ClusterConfig): ServerSpec[] {
  if ('servers' in config) {
    config.servers.forEach((server, i) => {
      validateServer(server, `servers[${i}]`);
    });
    return [...config.servers];
  }
  let groups: { tier: ServerTier; count: number }[];
  if ('nodes' in config) {
    const counts = paperTierCounts(config.nodes);
    groups = [
      { tier: SMALL, count: counts.small },
      { tier: MEDIUM, count: counts.medium },
      { tier: LARGE, count: counts.large },
    ];
  } else {
    groups = config.tiers.map((group, i) => {
      const tier = typeof group.tier === 'string' ? PAPER_TIERS.find((t) => t.name === group.tier) : group.tier;
      if (tier === undefined) throw new ConfigError(`tiers[${i}].tier`, 'one of "small", "medium", "large" or a tier object', group.tier);
      if (!Number.isInteger(group.count) || group.count < 0) throw new ConfigError(`tiers[${i}].count`, 'an integer >= 0', group.count);
      return { tier, count: group.count };
    });
  }
  const servers: ServerSpec[] = [];
  for (const { tier, count } of groups) {
    const { name, ...capacity } = tier;
    for (let k = 0; k < count; k++) servers.push({ ...capacity, id: servers.length, tier: name });
  }
  if (servers.length === 0) throw new ConfigError('tiers', 'at least one server in total', 0);
  servers.forEach((server, i) => {
    validateServer(server, `servers[${i}]`);
  });
  return servers;
}

function validateServer(server: ServerSpec, field: string): void {
  const index = Number(/\[(\d+)\]/.exec(field)?.[1]);
  if (server.id !== index) throw new ConfigError(`${field}.id`, `${index} (server ids are their positions 0..N-1)`, server.id);
  const positive = (key: 'compute' | 'memory'): void => {
    const value = server[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(`${field}.${key}`, 'a finite number > 0', value);
  };
  positive('compute');
  positive('memory');
  for (const key of ['idlePower', 'busyPower'] as const) {
    const value = server[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ConfigError(`${field}.${key}`, 'a finite number >= 0', value);
  }
}
