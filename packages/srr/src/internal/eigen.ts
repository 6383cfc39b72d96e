/**
 * Eigenvalues of a symmetric d x d matrix (row-major, float64) by cyclic Jacobi rotations: exact to
 * rounding for the small matrices here (d = 16), with no dependency. The input is not modified.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, d: number): Float64Array {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  const at = (i: number, j: number) => a[i * d + j] as number;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += at(i, j) * at(i, j);
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = at(i, i);
  return values.sort();
}
