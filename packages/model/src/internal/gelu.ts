/**
 * erf by Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, under float32's resolution near
 * 1 (tfjs's cpu backend uses the same formula). Shared by the fast path and the GELU kernels.
 */
export function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const y = 1 - poly * Math.exp(-x * x);
  return x < 0 ? -y : y;
}

/** Exact GELU, `x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))` (PyTorch's default). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** GELU's derivative, `Phi(x) + x phi(x)`, phi the standard normal density. */
export function geluDerivative(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
