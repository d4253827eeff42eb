import { describe, expect, it } from "vitest";
import { evaluateCohort } from "../../js/core/cohorts";
import { decodeDataset, labelOf, numberLabel, special } from "../../js/core/columns";
import { type TestColumn, wire, wireColumns } from "./fixtures";

const META = { n_rows: 3, output_names: ["no", "yes"], task: "classification", units: "log-odds", all_data: "All data" };
const decode = (cols: TestColumn[], meta = META) => decodeDataset(meta, wireColumns(cols));

describe("decodeDataset", () => {
  it("decodes every column once into a Map, in the kernel's order, with roles", () => {
    const data = decode([
      { name: "age", role: "feature", kind: "number", values: [30, Number.NaN, 50] },
      { name: "city", role: "feature", kind: "category", codes: [1, -1, 0], categories: ["Lima", "Oslo"] },
      { name: "owner", role: "feature", kind: "bool", values: [1, 0, Number.NaN] },
      { name: "index", kind: "number", values: [0, 1, 2] },
      { name: "tokens", kind: "tokens", tokens: [["a", "film"], [], ["the"]] },
    ]);
    expect(data.n).toBe(3);
    expect(data.allData).toBe("All data");
    expect([...data.columns.keys()]).toEqual(["age", "city", "owner", "index", "tokens"]);
    expect([...data.columns.values()].map((c) => c.role)).toEqual(["feature", "feature", "feature", "special", "special"]);
    const owner = data.columns.get("owner");
    expect(owner?.kind === "bool" && Array.from(owner.values)).toEqual([1, 0, 255]);
    expect(special(data, "age")).toBeNull(); // a feature, not a special column
    expect(special(data, "index")?.name).toBe("index");
  });

  it("a column called __proto__ is just a name", () => {
    const data = decode([
      { name: "__proto__", role: "feature", kind: "number", values: [1, 2, 3] },
      { name: "constructor", role: "feature", kind: "category", codes: [0, 0, 1], categories: ["a", "b"] },
    ]);
    expect([...data.columns.keys()]).toEqual(["__proto__", "constructor"]);
    const mask = evaluateCohort({ name: "c", combine: "all", filters: [{ column: "__proto__", op: ">=", value: 2 }] }, data.columns, 3);
    expect(Array.from(mask)).toEqual([0, 1, 1]);
    expect(data.columns.has("toString")).toBe(false);
  });

  it("rejects a column whose length is not the number of rows, and twice the same name", () => {
    expect(() => decode([{ name: "x", kind: "number", values: [1, 2] }])).toThrow(/column 'x' has 2 rows, the explanation 3/);
    expect(() =>
      decode([
        { name: "x", kind: "number", values: [1, 2, 3] },
        { name: "x", kind: "number", values: [1, 2, 3] },
      ]),
    ).toThrow(/two columns are named 'x'/);
    const bad = wireColumns([{ name: "x", kind: "number", values: [1, 2, 3] }]);
    bad[0] = { name: "x", role: "special", kind: "number", values: wire([1, 2, 3], [3], "int32") };
    expect(() => decodeDataset(META, bad)).toThrow(/column 'x' should travel as Float32Array/);
  });
});

describe("labelOf", () => {
  it("reads every column kind, with missing values said so", () => {
    expect(labelOf({ kind: "category", codes: new Int32Array([1, -1]), categories: ["a", "<b>"] }, 0)).toBe("<b>");
    expect(labelOf({ kind: "category", codes: new Int32Array([1, -1]), categories: ["a", "<b>"] }, 1)).toBe("missing");
    expect(labelOf({ kind: "number", values: new Float32Array([0.123456, Number.NaN]) }, 0)).toBe("0.123456");
    expect(labelOf({ kind: "number", values: new Float32Array([0.123456, Number.NaN]) }, 1)).toBe("missing");
    expect([0, 1, 2].map((i) => labelOf({ kind: "bool", values: new Uint8Array([1, 0, 255]) }, i))).toEqual(["true", "false", "missing"]);
    expect(labelOf({ kind: "tokens", offsets: new Int32Array([0, 2]), tokens: ["a", "film"] }, 0)).toBe("a film");
    expect(labelOf(null, 0)).toBe("");
  });
  it("prints integers in full and other numbers to 6 significant digits", () => {
    expect(numberLabel(123456)).toBe("123456");
    expect(numberLabel(123457)).toBe("123457");
    expect(numberLabel(16777216)).toBe("16777216");
    expect(numberLabel(-3)).toBe("-3");
    expect(numberLabel(Math.fround(0.1))).toBe("0.1");
    expect(numberLabel(Math.fround(2.5))).toBe("2.5");
    expect(numberLabel(1234.56789)).toBe("1234.57");
  });
});
