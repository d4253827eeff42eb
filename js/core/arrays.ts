// Binary transport: Python sends numpy arrays as {view, dtype, shape} (see rai_widget/_payload/_wire.py).
// The view arrives as a DataView (or ArrayBuffer) whose byteOffset may not be aligned.

export type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array | Uint32Array;

export interface WireArray {
  view: DataView | ArrayBuffer | Uint8Array;
  dtype: string;
  shape: number[];
}

export interface NDArray {
  data: TypedArray;
  shape: number[];
}

const CTORS: Record<string, { new (b: ArrayBuffer, o: number, n: number): TypedArray; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
};

export function decodeArray(wire: WireArray): NDArray {
  const ctor = CTORS[wire.dtype];
  if (!ctor) throw new Error(`unsupported dtype from the kernel: ${wire.dtype}`);
  let buffer: ArrayBuffer;
  let offset = 0;
  let byteLength: number;
  const v = wire.view;
  if (v instanceof ArrayBuffer) {
    buffer = v;
    byteLength = v.byteLength;
  } else {
    buffer = v.buffer as ArrayBuffer;
    offset = v.byteOffset;
    byteLength = v.byteLength;
  }
  if (offset % ctor.BYTES_PER_ELEMENT !== 0) {
    // Typed arrays need aligned offsets: copy the bytes out.
    buffer = buffer.slice(offset, offset + byteLength);
    offset = 0;
  }
  const n = byteLength / ctor.BYTES_PER_ELEMENT;
  const expected = wire.shape.reduce((a, b) => a * b, 1);
  if (n !== expected) throw new Error(`array of shape [${wire.shape}] carries ${n} values`);
  return { data: new ctor(buffer, offset, n), shape: wire.shape };
}
