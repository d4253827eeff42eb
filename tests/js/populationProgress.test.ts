// How far the kernel's pass over every row is (js/tabular/population.ts): while the population job runs, the
// header's note says "x of y partitions done" with a progress bar (the job's progress is the share of
// meta.population.partitions done), updated as the kernel reports; only the note is redrawn for it. A superseded
// job's progress is not shown; when the figures come (or the job fails) the bar goes. Without a partition count
// (an explanation that is not Dask's) the note says the kernel computes, with no count.
import { afterEach, describe, expect, it } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { renderTabular } from "../../js/tabular/dashboard";
import { createImportanceChart } from "../../js/tabular/importance";
import { type PopulationFigures, partitionsText } from "../../js/tabular/population";
import { EVIL, FakeModel, TINY_BINARY, tinyPayload } from "./fixtures";

const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 2 }] };
const YOUNG: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<=", value: 2 }] };

const figures = (rows: number): PopulationFigures => ({
  rows,
  importance: { yes: [0.7, 0.2, 0.1] },
  fidelity: { r2: 0.9, agreement: 0.95, rows },
  metrics: [],
});

let roots: HTMLElement[] = [];
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});

function mount(partitions: number | undefined, cohorts: Cohort[] = [ALL, OLD, YOUNG]) {
  const { meta, arrays } = tinyPayload(TINY_BINARY);
  const population = { ...figures(2_000_000), sample_rows: 4, ...(partitions === undefined ? {} : { partitions }) };
  const m = new FakeModel({
    kind: "tabular",
    meta: { ...meta, population },
    arrays,
    cohorts,
    active_cohort: "All data",
    selected_rows: [],
    kernel: { available: false, reason: "needs the model", population: true },
  });
  const root = document.createElement("div");
  document.body.appendChild(root);
  roots.push(root);
  renderTabular(m, root, { importance: [createImportanceChart], cohorts: [] });
  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const request = () => m.attrs.population_request as { id: number; params?: unknown; cancel?: boolean };
  const status = (id: number, state: string, progress: number | null, message = "") =>
    m.set("population_status", { id, state, progress, message });
  const bar = () => q("population-progress") as HTMLProgressElement | null;
  const note = () => q("population-note") as HTMLElement;
  return { m, root, q, request, status, bar, note };
}

describe("the pass's progress", () => {
  it("reads 'x of y partitions', one partition in the singular", () => {
    expect(partitionsText({ done: 3, total: 8 })).toBe("3 of 8 partitions");
    expect(partitionsText({ done: 0, total: 1 })).toBe("0 of 1 partition");
    expect(partitionsText({ done: 1200, total: 4000 })).toBe(`${(1200).toLocaleString()} of ${(4000).toLocaleString()} partitions`);
  });

  it("shows partitions done with a bar while the job runs, as the kernel reports, and only redraws the note", () => {
    const v = mount(8);
    v.m.set("active_cohort", "old");
    const { id } = v.request();
    v.status(id, "running", 0);
    expect(v.note().dataset.state).toBe("running");
    expect(v.note().textContent).toContain("Computing “old” over all 2,000,000 rows in the kernel: 0 of 8 partitions done on the cluster.");
    expect(v.bar()?.max).toBe(8);
    expect(v.bar()?.value).toBe(0);
    expect(v.bar()?.getAttribute("aria-label")).toBe("0 of 8 partitions done");

    const rows = v.q("header-rows")?.firstChild; // the header's count: not redrawn for a progress report
    v.status(id, "running", 3 / 8);
    expect(v.note().textContent).toContain("3 of 8 partitions done");
    expect(v.bar()?.value).toBe(3);
    expect(v.q("header-rows")?.firstChild).toBe(rows);
    v.status(id, "running", 7 / 8);
    expect(v.note().textContent).toContain("7 of 8 partitions done");
    expect(v.bar()?.value).toBe(7);

    v.m.set("population_result", { id, cohort: OLD, ...figures(1_234_567) });
    v.status(id, "done", 1);
    expect(v.note().dataset.state).toBe("known");
    expect(v.bar()).toBeNull();
    expect(v.note().textContent).not.toContain("partitions");
  });

  it("a switched-from cohort's progress is not shown: the new request's is", () => {
    const v = mount(8);
    v.m.set("active_cohort", "old");
    const first = v.request().id;
    v.status(first, "running", 0.5);
    expect(v.bar()?.value).toBe(4);
    v.m.set("active_cohort", "young");
    const second = v.request().id;
    expect(second).not.toBe(first);
    // the kernel's superseded job says nothing more; a late report of it, had one come, is ignored
    v.status(first, "running", 0.75);
    expect(v.note().textContent).toContain("Computing “young”");
    expect(v.bar()).toBeNull(); // no report of the new job yet
    v.status(second, "running", 0.25);
    expect(v.note().textContent).toContain("2 of 8 partitions done");
    expect(v.bar()?.value).toBe(2);
  });

  it("an error from the cluster is shown in words, and the bar goes", () => {
    const v = mount(8);
    v.m.set("active_cohort", "old");
    const { id } = v.request();
    v.status(id, "running", 0.25);
    v.status(id, "error", null, "the cluster could not compute 'old' over all rows: KilledWorker: all workers died");
    expect(v.note().dataset.state).toBe("error");
    expect(v.note().textContent).toContain("Could not compute “old” over all rows: the cluster could not compute");
    expect(v.bar()).toBeNull();
  });

  it("without a partition count the note says the kernel computes, with no count", () => {
    const v = mount(undefined);
    v.m.set("active_cohort", "old");
    v.status(v.request().id, "running", 0.5);
    expect(v.note().textContent).toContain("over all 2,000,000 rows in the kernel… Until then");
    expect(v.bar()).toBeNull();
  });

  it("a cohort's name reaches the note as text", () => {
    const evil: Cohort = { ...OLD, name: EVIL };
    const v = mount(8, [ALL, evil]);
    v.m.set("active_cohort", EVIL);
    v.status(v.request().id, "running", 0.5);
    expect(v.note().textContent).toContain(`Computing “${EVIL}”`);
    expect(v.note().querySelector("img, script")).toBeNull();
  });
});
