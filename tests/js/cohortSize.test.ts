import { describe, expect, it } from "vitest";
import { countOfText, countText, markCohortSize, ROW, rowNoun } from "../../js/core/cohortSize";

describe("counts in words, by modality", () => {
  it("calls a row a row, a text, or an image, by the widget's kind", () => {
    expect(countText(1, rowNoun("tabular"))).toBe("1 row");
    expect(countText(2, rowNoun("tabular"))).toBe("2 rows");
    expect(countText(1, rowNoun("text"))).toBe("1 text");
    expect(countText(2, rowNoun("text"))).toBe("2 texts");
    expect(countText(1, rowNoun("image"))).toBe("1 image");
    expect(countText(7, rowNoun("image"))).toBe("7 images");
    expect(countText(1, rowNoun("detection"))).toBe("1 image");
    expect(countText(3, rowNoun("detection"))).toBe("3 images");
    expect(rowNoun("some future kind")).toBe(ROW);
    expect(rowNoun("__proto__")).toBe(ROW);
  });
  it("is singular for exactly one only, and groups thousands", () => {
    expect(countText(0, rowNoun("text"))).toBe("0 texts");
    expect(countText(1234, ROW)).toBe(`${(1234).toLocaleString()} rows`);
    expect(countText(0.5, ROW)).toBe("0.5 rows");
  });
  it("says a part of a total with the noun agreeing with the total", () => {
    expect(countOfText(1, 25, rowNoun("text"))).toBe("1 of 25 texts");
    expect(countOfText(1, 1, rowNoun("text"))).toBe("1 of 1 text");
    expect(countOfText(0, 1, rowNoun("image"))).toBe("0 of 1 image");
    expect(countOfText(3, 5, rowNoun("detection"))).toBe("3 of 5 images");
    expect(countOfText(1, 2, ROW)).toBe("1 of 2 rows");
  });
});

describe("markCohortSize", () => {
  it("states the rows, or why the cohort cannot be evaluated", () => {
    const el = markCohortSize(document.createElement("span"), "c", { count: 3, error: null });
    expect([el.dataset.testid, el.dataset.cohort, el.dataset.rows, el.dataset.invalid]).toEqual(["cohort-size", "c", "3", undefined]);
    markCohortSize(el, "c", { count: 0, error: "no column x" });
    expect([el.dataset.rows, el.dataset.invalid]).toEqual([undefined, "no column x"]);
  });
});
