import { describe, expect, it } from "vitest";
import { csvCell, safeFileName, sceneToSvg, toCsv } from "../../js/core/export";
import type { TabularData } from "../../js/tabular/data";
import { importanceCsv, importanceScene, localCsv, localScene, outputSlug } from "../../js/tabular/export";
import { TabularStore } from "../../js/tabular/store";
import { type TextArrays, TextData, type TextMeta, textRuns } from "../../js/text/data";
import { heatmapScene, tokensCsv } from "../../js/text/tokens";
import { EVIL, makeData, textColumns, wire } from "./fixtures";

/** A minimal RFC 4180 reader, to read back what toCsv writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

describe("CSV", () => {
  it("quotes commas, quotes and line breaks (RFC 4180), CRLF line ends", () => {
    const text = toCsv(
      ["a", "b"],
      [
        ["x,y", 'say "hi"'],
        ["two\nlines", "plain"],
      ],
    );
    expect(text).toBe('a,b\r\n"x,y","say ""hi"""\r\n"two\nlines",plain\r\n');
    expect(parseCsv(text)).toEqual([
      ["a", "b"],
      ["x,y", 'say "hi"'],
      ["two\nlines", "plain"],
    ]);
  });
  it("guards text cells that a spreadsheet would run as a formula, never numbers", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("\rx")).toBe('"\'\rx"');
    expect(csvCell('=1,"2"')).toBe('"\'=1,""2"""');
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell(-2)).toBe("-2");
    // header cells are guarded too
    expect(toCsv(["=cmd"], [])).toBe("'=cmd\r\n");
  });
  it("writes numbers in full precision and NaN / infinity as Python reads them", () => {
    expect(csvCell(0.1 + 0.2)).toBe("0.30000000000000004");
    expect(Number(csvCell(Math.fround(0.1)))).toBe(Math.fround(0.1));
    expect(csvCell(1e-20)).toBe("1e-20");
    expect(csvCell(Number.NaN)).toBe("NaN");
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe("inf");
    expect(csvCell(Number.NEGATIVE_INFINITY)).toBe("-inf");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
  });
  it("keeps unicode as it is", () => {
    const text = toCsv(["名前"], [["café 🚀"], ["Ünïcödé, ok"]]);
    expect(parseCsv(text)).toEqual([["名前"], ["café 🚀"], ["Ünïcödé, ok"]]);
  });
});

describe("file names", () => {
  it("say what is in them and keep only safe characters", () => {
    expect(safeFileName("importance-class_yes", "csv")).toBe("importance-class_yes.csv");
    expect(safeFileName("dependence-<img src=x>/../..-All data", "png")).toBe("dependence-_img_src_x_._.-All_data.png");
    expect(safeFileName("café", "svg")).toBe("cafe.svg");
    expect(safeFileName("///", "csv")).toBe("export.csv");
    expect(safeFileName("x".repeat(500), "csv").length).toBe(124);
  });
});

// ---- tabular: a feature named like HTML, a category value like a formula
const NAMES = ["age", EVIL, "city"];
function sample(): TabularData {
  return makeData({
    n: 12,
    names: NAMES,
    kinds: ["numeric", "numeric", "category"],
    categories: { city: ["Oslo", "=cmd()"] },
    feature: (i, j) => (j === 2 ? i % 2 : i + j),
    value: (i, j) => (j - 1) * (1 + i / 10) + 0.1 * j,
  });
}

const allText = (svg: SVGSVGElement) => Array.from(svg.querySelectorAll("text"), (t) => t.textContent);

describe("tabular exports", () => {
  it("importance CSV: every feature of every cohort, equal to the store's importances", () => {
    const store = new TabularStore(sample(), {
      cohorts: [
        { name: "All data", combine: "all", filters: [] },
        { name: "young", combine: "all", filters: [{ column: "age", op: "<", value: 5 }] },
      ],
    });
    const rows = parseCsv(importanceCsv(store));
    expect(rows[0]).toEqual(["cohort", "rows", "output", "feature", "mean_abs_shap"]);
    expect(rows.length).toBe(1 + 2 * NAMES.length);
    for (const [cohort, n, , feature, value] of rows.slice(1)) {
      const c = store.state.cohorts.find((x) => x.name === cohort);
      if (!c) throw new Error(cohort);
      expect(Number(n)).toBe(store.maskOf(c).count);
      expect(Number(value)).toBe(store.importance(c)[NAMES.indexOf(feature)]);
    }
    expect(outputSlug(store.data, store.state.output)).toBe("class_yes");
  });
  it("the importance SVG holds a feature named like HTML as text, and no element from data", () => {
    const store = new TabularStore(sample(), {});
    const svg = sceneToSvg(importanceScene(store));
    expect(allText(svg)).toContain(EVIL);
    expect(svg.querySelector("img")).toBeNull();
    expect(svg.getElementsByTagName("img").length).toBe(0);
    const xml = new XMLSerializer().serializeToString(svg);
    expect(xml).not.toContain("<img");
    expect(xml).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
  it("local CSV: one line per selected row x feature, category values guarded", () => {
    const data = sample();
    const store = new TabularStore(data, { selected: [3, 4] });
    const rows = parseCsv(localCsv(store));
    expect(rows[0]).toEqual(["row", "output", "feature", "feature_value", "shap_value", "base_value", "surrogate_output", "model_output"]);
    expect(rows.length).toBe(1 + 2 * NAMES.length);
    const city = rows.find((r) => r[0] === "3" && r[2] === "city");
    expect(city?.[3]).toBe("'=cmd()");
    const evil = rows.find((r) => r[0] === "4" && r[2] === EVIL);
    expect(Number(evil?.[4])).toBe(data.value(4, 1, 1));
    expect(allText(sceneToSvg(localScene(store, 10))).some((t) => t?.startsWith(EVIL))).toBe(true);
  });
});

// ---- text: a token that looks like HTML
function textData(): TextData {
  const texts = ["<b>bold</b> ok", "=1+1"];
  const tokens = [["<b>bold</b>", "ok"], ["=1+1"]];
  const meta: TextMeta = {
    output_names: ["neg", "pos"],
    task: "classification",
    units: "probability",
    n_rows: 2,
    all_data: "All data",
    threshold: null,
    texts,
    stop_words: [],
  };
  const arrays: TextArrays = {
    columns: textColumns({ tokens, classes: ["neg", "pos"], yPred: [1, 0], yTrue: [1, 0], truncated: [0, 0] }),
    spans: wire([0, 11, 12, 14, 0, 4], [3, 2], "int32"),
    values: wire([-0.25, 0.25, 0.125, -0.125, 0.5, -0.5], [3, 2]),
    base_values: wire([0.5, 0.5, 0.5, 0.5], [2, 2]),
    model_output: wire([0.4, 0.6, 0.9, 0.1], [2, 2]),
  };
  return new TextData(meta, arrays);
}

describe("text exports", () => {
  it("token CSV: token, start, end and the value toward every output", () => {
    const data = textData();
    expect(parseCsv(tokensCsv(data, 0))).toEqual([
      ["token_index", "token", "start", "end", "value_neg", "value_pos"],
      ["0", "<b>bold</b>", "0", "11", "-0.25", "0.25"],
      ["1", "ok", "12", "14", "0.125", "-0.125"],
    ]);
    expect(parseCsv(tokensCsv(data, 1))[1]).toEqual(["0", "'=1+1", "0", "4", "0.5", "-0.5"]);
  });
  it("the heatmap SVG draws each token as text on its colour", () => {
    const data = textData();
    const svg = sceneToSvg(heatmapScene(data, 0, 1, 0.25, textRuns(data, 0)));
    expect(allText(svg)).toContain("<b>bold</b>");
    expect(svg.querySelector("b")).toBeNull();
    const fills = Array.from(svg.querySelectorAll("rect"), (r) => r.getAttribute("fill"));
    expect(fills).toContain("rgba(214, 39, 40, 0.9)"); // +0.25 at scale 0.25: full red
  });
});
