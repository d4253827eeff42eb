import { describe, expect, it } from "vitest";
import { decodeArray } from "../../js/arrays";
import { rankFeatures, renderSummary } from "../../js/summary";

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

describe("rankFeatures", () => {
  it("averages outputs and sorts descending", () => {
    // 3 features x 2 outputs
    const imp = new Float32Array([0.1, 0.3, 0.9, 0.1, 0.2, 0.4]);
    const r = rankFeatures(["a", "b", "c"], imp, 2, 2);
    expect(r.map((x) => x.name)).toEqual(["b", "c"]);
    expect(r[0].value).toBeCloseTo(0.5);
  });
});

describe("renderSummary", () => {
  it("renders feature names as text, never as HTML", () => {
    const root = document.createElement("div");
    const evil = "<img src=x onerror=alert(1)>";
    renderSummary(root, {
      kind: "tabular",
      meta: { feature_names: [evil, "age"], units: "log-odds", fidelity: { r2: 0.5, agreement: 0.97 } },
      importance: wire([2, 1], [2, 1]),
    });
    expect(root.querySelector("img")).toBeNull();
    const labels = Array.from(root.querySelectorAll(".rw-bar-label")).map((n) => n.textContent);
    expect(labels).toEqual([evil, "age"]);
    const badge = root.querySelector('[data-testid="fidelity"]')!;
    expect(badge.classList.contains("rw-warn")).toBe(true);
    expect(badge.textContent).toContain("R² 0.500");
  });
});
