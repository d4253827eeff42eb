import { describe, expect, it } from "vitest";
import { decodeArray } from "../../js/core/arrays";

function wire(values: number[], shape: number[], pad = 0) {
  // Put the floats at an unaligned offset, as a comm message buffer may.
  const bytes = new Uint8Array(pad + values.length * 4);
  const f = new Float32Array(values);
  bytes.set(new Uint8Array(f.buffer), pad);
  return { view: new DataView(bytes.buffer, pad, values.length * 4), dtype: "float32", shape };
}

describe("decodeArray", () => {
  it("reads float32 at an unaligned offset", () => {
    const a = decodeArray(wire([1.5, -2, 3], [3], 1));
    expect(Array.from(a.data)).toEqual([1.5, -2, 3]);
  });
  it("rejects a shape that does not match the bytes", () => {
    expect(() => decodeArray(wire([1, 2, 3], [2, 2]))).toThrow(/shape/);
  });
});
