import { momentsOf } from './moments.js';

/** The paper's Table 5 statistics of a batch of attention features. */
export interface FeatureStatistics {
  /** Mean of |Sigma_kl| over k != l (Sigma with 1/(B-1)). */
  readonly covOffDiagonal: number;
  /** Mean over dimensions of KL(N(mu_k, sigma_k^2) || N(0, 1)). */
  readonly kl: number;
  readonly samples: number;
  readonly dimensions: number;
}

/**
 * Table 5's Cov Off-Diag and KL from a B x d row-major feature batch, in float64 (no tfjs), e.g. the
 * attention features gathered over evaluation episodes at one N.
 */
export function featureStatistics(features: ArrayLike<number>, dimensions: number): FeatureStatistics {
  const samples = Math.floor(features.length / dimensions);
  if (!Number.isInteger(dimensions) || dimensions < 1 || samples * dimensions !== features.length) {
    throw new RangeError(`features: expected a B x ${dimensions} row-major batch, got ${features.length} values`);
  }
  if (samples < 2) throw new RangeError(`features: expected at least 2 rows, got ${samples}`);
  // The same float64 sums, in the same order, as SRR's training path.
  const { mean, m2: cov } = momentsOf(features, samples, dimensions);
  let offDiagonal = 0;
  let kl = 0;
  for (let k = 0; k < dimensions; k++) {
    for (let l = k + 1; l < dimensions; l++) offDiagonal += (2 * Math.abs(cov[k * dimensions + l] as number)) / (samples - 1);
    const variance = (cov[k * dimensions + k] as number) / (samples - 1);
    const mu = mean[k] as number;
    kl += 0.5 * (variance + mu * mu - 1 - Math.log(variance));
  }
  return {
    covOffDiagonal: dimensions > 1 ? offDiagonal / (dimensions * (dimensions - 1)) : 0,
    kl: kl / dimensions,
    samples,
    dimensions,
  };
}
