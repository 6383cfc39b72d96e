// How PPO cuts a task-and-server minibatch into groups padded separately (see ppoShardGradients).

/**
 * The cost model, in units of one padded candidate slot of one row (about 6 us of a batch-256 PPO
 * step at N = 16): a row costs `ROW_COST` (its servers, its first candidate, the heads and the loss)
 * plus one per further candidate slot, and a group `GROUP_COST` (one more forward and backward pass
 * of tfjs ops). Measured on the agents' bench at N = 16, 2-core machine: a step costs 18.4 ms with
 * k = 1 and 29.7 ms padded to k = 8 (+11 ms for 256 x 7 slots).
 */
const ROW_COST = 11;
const GROUP_COST = 400;

/**
 * The rows (positions into `candidates`, each row's k) grouped so that the summed cost
 * `GROUP_COST + rows * (ROW_COST + largest k - 1)` over groups is least: groups are ranges of k (the
 * optimum has that form), found exactly by dynamic programming over the distinct k values. Rows keep
 * their order within a group; groups come in increasing k. Deterministic.
 */
export function groupByCandidates(candidates: ArrayLike<number>): number[][] {
  const byK = new Map<number, number[]>();
  for (let row = 0; row < candidates.length; row++) {
    const k = candidates[row] as number;
    const rows = byK.get(k);
    if (rows === undefined) byK.set(k, [row]);
    else rows.push(row);
  }
  const ks = [...byK.keys()].sort((a, b) => a - b);
  const m = ks.length;
  // best[j]: least cost of the k values ks[0..j); from[j]: where its last group starts.
  const best = new Float64Array(m + 1);
  const from = new Int32Array(m + 1);
  for (let j = 1; j <= m; j++) {
    best[j] = Number.POSITIVE_INFINITY;
    let rows = 0;
    for (let i = j; i >= 1; i--) {
      rows += (byK.get(ks[i - 1] as number) as number[]).length;
      const cost = (best[i - 1] as number) + GROUP_COST + rows * (ROW_COST + (ks[j - 1] as number) - 1);
      if (cost < (best[j] as number)) {
        best[j] = cost;
        from[j] = i - 1;
      }
    }
  }
  const groups: number[][] = [];
  for (let j = m; j > 0; j = from[j] as number) {
    const group: number[] = [];
    for (let i = from[j] as number; i < j; i++) group.push(...(byK.get(ks[i] as number) as number[]));
    groups.push(group.sort((a, b) => a - b));
  }
  return groups.reverse();
}
