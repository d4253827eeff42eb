import { describe, expect, it } from "vitest";
import {
  ColumnHints,
  cohortSummary,
  columnGroups,
  copyName,
  filterProblem,
  filterText,
  firstOp,
  frequentTokens,
  nameProblem,
  nextCohortName,
  numberStats,
  opsFor,
  parseNumber,
  sizeText,
} from "../../js/core/cohortEditorLogic";
import type { Filter } from "../../js/core/cohorts";
import { type ColumnValues, decodeDataset } from "../../js/core/columns";
import { wireColumns } from "./fixtures";

const age: ColumnValues = { kind: "number", values: Float32Array.from([25, 35, 45, 55, 65, Number.NaN]) };
const sex: ColumnValues = { kind: "category", codes: Int32Array.from([0, 1, 0, -1, 1, 0]), categories: ["F", "M"] };
const smoker: ColumnValues = { kind: "bool", values: Uint8Array.from([0, 1, 1, 0, 255, 1]) };
const tokens: ColumnValues = {
  kind: "tokens",
  offsets: Int32Array.from([0, 2, 3, 3, 4, 6, 7]),
  tokens: ["Good", "film", "the", "good", "GOOD", "42", "film"],
};
const columns = new Map<string, ColumnValues>([
  ["age", age],
  ["sex", sex],
  ["smoker", smoker],
  ["tokens", tokens],
]);

describe("ops and starting values", () => {
  it("offers the ops of each column kind; a column the data lacks takes any op", () => {
    expect(opsFor(age)).toEqual(["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"]);
    expect(opsFor(sex)).toEqual(["==", "!=", "in", "not in"]);
    expect(opsFor(smoker)).toEqual(["==", "!=", "in", "not in"]);
    expect(opsFor(tokens)).toEqual(["contains", "not contains"]);
    expect(opsFor(undefined)).toContain("contains");
    expect([age, sex, tokens].map(firstOp)).toEqual([">", "==", "contains"]);
  });

  it("starts a filter valid at once: the median, quartiles, the first category, true, the most used word", () => {
    const hints = new ColumnHints(columns, new Set(["the"]));
    expect(hints.defaultValue("age", ">")).toBe(45);
    expect(hints.defaultValue("age", "between")).toEqual([35, 55]);
    expect(hints.defaultValue("age", "in")).toEqual([45]);
    expect(hints.defaultValue("sex", "==")).toBe("F");
    expect(hints.defaultValue("sex", "in")).toEqual([]);
    expect(hints.defaultValue("smoker", "==")).toBe(true);
    expect(hints.defaultValue("tokens", "contains")).toBe("good");
    expect(hints.defaultValue("nope", "==")).toBeNull();
    expect(hints.newFilter(["age", "sex"])).toEqual({ column: "age", op: ">", value: 45 });
    expect(hints.newFilter(["sex"])).toEqual({ column: "sex", op: "==", value: "F" });
  });

  it("keeps what the user entered when the op changes, where it still fits", () => {
    const hints = new ColumnHints(columns);
    const f = (column: string, op: Filter["op"], value: Filter["value"]): Filter => ({ column, op, value });
    expect(hints.coerceValue(f("age", ">", 40), "between")).toEqual([40, 65]);
    expect(hints.coerceValue(f("age", ">", 40), "in")).toEqual([40]);
    expect(hints.coerceValue(f("age", "between", [30, null]), "not in")).toEqual([30]);
    expect(hints.coerceValue(f("age", "in", [30, 40]), ">=")).toBe(30);
    expect(hints.coerceValue(f("age", "in", []), ">=")).toBe(45);
    expect(hints.coerceValue(f("sex", "==", "M"), "not in")).toEqual(["M"]);
    expect(hints.coerceValue(f("sex", "in", ["M"]), "not in")).toEqual(["M"]);
  });

  it("computes number stats once per column, ignoring missing values", () => {
    expect(numberStats(age.kind === "number" ? age.values : new Float32Array())).toEqual({ min: 25, q1: 35, median: 45, q3: 55, max: 65 });
    expect(numberStats(Float32Array.from([Number.NaN]))).toBeNull();
    const hints = new ColumnHints(columns);
    expect(hints.statsOf("age")).toBe(hints.statsOf("age"));
    expect(hints.statsOf("sex")).toBeNull();
  });
});

describe("words of a tokens column", () => {
  it("ranks words by how many texts use them, any case, leaving out stop-words and tokens without a letter", () => {
    if (tokens.kind !== "tokens") throw new Error("tokens");
    expect(frequentTokens(tokens, 5)).toEqual(["good", "film", "the"]);
    expect(frequentTokens(tokens, 5, new Set(["the"]))).toEqual(["good", "film"]);
    expect(frequentTokens(tokens, 1)).toEqual(["good"]);
    expect(new ColumnHints(columns, new Set(["good"])).wordsOf("tokens")).toEqual(["film", "the"]);
  });
});

describe("problems", () => {
  it("says why a filter cannot be saved: empty inputs in the editor's words, the rest in validateFilter's", () => {
    expect(filterProblem({ column: "age", op: ">", value: null }, columns)).toBe("Enter a number for 'age'.");
    expect(filterProblem({ column: "age", op: "between", value: [1, null] }, columns)).toBe("Enter both ends of the range.");
    expect(filterProblem({ column: "tokens", op: "contains", value: "" }, columns)).toBe("Enter a word to look for.");
    expect(filterProblem({ column: "sex", op: "<", value: "M" }, columns)).toBe(
      "'<' is not defined for categorical column 'sex'; use ==, !=, in or not in",
    );
    expect(filterProblem({ column: "age", op: ">", value: 3 }, columns)).toBeNull();
  });

  it("names must be non-empty and not another cohort's", () => {
    expect(nameProblem("  ", null, [])).toBe("Give the cohort a name.");
    expect(nameProblem(" old ", null, ["old"])).toBe('Another cohort is already called "old"; names must be unique.');
    expect(nameProblem("old", "old", ["old"])).toBeNull(); // its own name
    expect(nameProblem("new", null, ["old"])).toBeNull();
  });
});

describe("names and words in the list", () => {
  it("names new cohorts and copies", () => {
    expect(nextCohortName([])).toBe("Cohort 1");
    expect(nextCohortName(["Cohort 1", "Cohort 3"])).toBe("Cohort 2");
    expect(copyName("old", ["old"])).toBe("old (copy)");
    expect(copyName("old", ["old", "old (copy)"])).toBe("old (copy) (2)");
  });
  it("reads filters and cohorts as people do", () => {
    expect(filterText({ column: "age", op: "between", value: [30, 40] })).toBe("age between 30 and 40");
    expect(filterText({ column: "sex", op: "in", value: ["F", "X"] })).toBe('sex in ["F", "X"]');
    expect(filterText({ column: "smoker", op: "==", value: true })).toBe("smoker == true");
    expect(cohortSummary({ name: "c", combine: "all", filters: [] })).toBe("no filters: every row");
    expect(
      cohortSummary({
        name: "c",
        combine: "all",
        filters: [
          { column: "age", op: ">", value: 3 },
          { column: "sex", op: "==", value: "F" },
        ],
      }),
    ).toBe('age > 3 AND sex == "F"');
    expect(sizeText(3, 6)).toBe("3 rows (50.0%)");
    expect(sizeText(0, 0)).toBe("0 rows");
    expect(sizeText(1, 4, { one: "text", many: "texts" })).toBe("1 text (25.0%)");
    expect(sizeText(2, 4, { one: "image", many: "images" })).toBe("2 images (50.0%)");
  });
  it("parses decimal numbers only; anything else stays text for validation to name", () => {
    expect(parseNumber(" 1.5 ")).toBe(1.5);
    expect(parseNumber("-2e3")).toBe(-2000);
    expect(parseNumber(".5")).toBe(0.5);
    expect(parseNumber("0x10")).toBe("0x10");
    expect(parseNumber("")).toBe("");
    expect(parseNumber("abc")).toBe("abc");
  });
  it("groups the column select: features, labels and predictions, words", () => {
    const data = decodeDataset(
      { n_rows: 1, output_names: ["a"], task: "classification", units: "", all_data: "All data" },
      wireColumns([
        { name: "x", role: "feature", kind: "number", values: [1] },
        { name: "index", kind: "number", values: [0] },
        { name: "y_pred", kind: "category", codes: [0], categories: ["a"] },
        { name: "tokens", kind: "tokens", tokens: [["hi"]] },
      ]),
    );
    expect(columnGroups(data)).toEqual({ features: ["x"], special: ["index", "y_pred"], words: ["tokens"] });
  });
});
