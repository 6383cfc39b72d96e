/**
 * One allocation per observation: the float parts and the mask are views into a single ArrayBuffer.
 * Allocating four or five small typed arrays per step was most of the featurizer's time at N = 16 (each
 * array above V8's on-heap limit gets its own backing store); views over one buffer cost a fraction.
 * Parts are carved in call order: every float part first, then the bytes.
 */
export class ObservationArena {
  private readonly buffer: ArrayBuffer;
  private offset = 0;

  /** `floats` Float32 values and `bytes` Uint8 values in total. */
  constructor(floats: number, bytes: number) {
    this.buffer = new ArrayBuffer(4 * floats + bytes);
  }

  /** The next `length` floats, zeroed. */
  floats(length: number): Float32Array {
    const view = new Float32Array(this.buffer, this.offset, length);
    this.offset += 4 * length;
    return view;
  }

  /** The next `length` bytes, zeroed (after all the floats). */
  bytes(length: number): Uint8Array {
    const view = new Uint8Array(this.buffer, this.offset, length);
    this.offset += length;
    return view;
  }
}
