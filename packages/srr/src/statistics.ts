import { symmetricEigenvalues } from './internal/eigen.js';
import { momentsOf } from './moments.js';

/** The paper's Table 5 statistics of a batch of attention features. */
export interface FeatureStatistics {
  /** Mean of |Sigma_kl| over k != l (Sigma with 1/(B-1)). */
  readonly covOffDiagonal: number;
  /** Mean over dimensions of KL(N(mu_k, sigma_k^2) || N(0, 1)). */
  readonly kl: number;
  /**
   * Mean of |Sigma_kl| / (sigma_k sigma_l) over k != l with both variances > 0 (NaN when no pair
   * has): decorrelation that a collapse of the variance cannot fake, unlike Cov Off-Diag.
   */
  readonly meanAbsCorrelation: number;
  /**
   * Effective rank of Sigma (Roy and Vetterli, 2007): exp of the Shannon entropy of its eigenvalues
   * normalized to sum 1; between 1 (one direction) and d (variance spread evenly). NaN when Sigma is 0.
   */
  readonly effectiveRank: number;
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
  let correlation = 0;
  let correlatedPairs = 0;
  for (let k = 0; k < dimensions; k++) {
    for (let l = k + 1; l < dimensions; l++) {
      const ckl = cov[k * dimensions + l] as number;
      offDiagonal += (2 * Math.abs(ckl)) / (samples - 1);
      const scale = Math.sqrt((cov[k * dimensions + k] as number) * (cov[l * dimensions + l] as number));
      if (scale > 0) {
        correlation += Math.min(1, Math.abs(ckl) / scale);
        correlatedPairs++;
      }
    }
    const variance = (cov[k * dimensions + k] as number) / (samples - 1);
    const mu = mean[k] as number;
    kl += 0.5 * (variance + mu * mu - 1 - Math.log(variance));
  }
  return {
    covOffDiagonal: dimensions > 1 ? offDiagonal / (dimensions * (dimensions - 1)) : 0,
    kl: kl / dimensions,
    meanAbsCorrelation: correlatedPairs > 0 ? correlation / correlatedPairs : Number.NaN,
    effectiveRank: effectiveRank(cov, dimensions),
    samples,
    dimensions,
  };
}

/** exp(H(p)) with p the eigenvalues of a covariance (any positive scale) normalized to sum 1; NaN for a zero matrix. */
function effectiveRank(covariance: ArrayLike<number>, dimensions: number): number {
  const eigenvalues = symmetricEigenvalues(covariance, dimensions);
  let total = 0;
  for (const v of eigenvalues) total += Math.max(0, v);
  if (!(total > 0)) return Number.NaN;
  let entropy = 0;
  for (const v of eigenvalues) {
    const p = Math.max(0, v) / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}
