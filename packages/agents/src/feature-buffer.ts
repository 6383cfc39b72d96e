/**
 * A growing row-major batch of state features: a `NetworkPolicy` given one as `features` pushes the
 * encoder feature of every decision (Table 5's feature statistics are computed on it).
 */
export class FeatureBuffer {
  private data = new Float32Array(0);
  private rows = 0;

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`FeatureBuffer dimensions: expected an integer >= 1, received ${dimensions}`);
  }

  /** Appends the first `dimensions` values of `feature` (a copy). */
  push(feature: Float32Array): void {
    const d = this.dimensions;
    if ((this.rows + 1) * d > this.data.length) {
      const grown = new Float32Array(Math.max(1024 * d, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(feature.subarray(0, d), this.rows * d);
    this.rows += 1;
  }

  /** Rows gathered so far. */
  get samples(): number {
    return this.rows;
  }

  /** The gathered samples x dimensions batch (a view, valid until the next push). */
  values(): Float32Array {
    return this.data.subarray(0, this.rows * this.dimensions);
  }
}
