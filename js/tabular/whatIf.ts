// What-if: edit a row's values and see, from the kernel's what_if job, the model's new prediction, the
// surrogate's new attribution beside the row's own, the surrogate/model gap, and the findings that say
// when the point leaves the region the surrogate was fit on. Points can be kept by name (the
// `what_if_points` trait: dash.what_if in Python). Without a kernel (offline report, a loaded file
// without its explainer) editing is off, with the reason, and kept points are listed read-only.
import "./whatIf.css";
import { uniqueName } from "../core/cohorts";
import { fmt, h, NEG_COLOR, option, POS_COLOR } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import type { KeptTrait } from "../core/jobs";
import type { TabularView } from "./dashboard";
import { barGeometry } from "./local";
import type { TabularStore } from "./store";
import { createKeptPoints } from "./whatIfKept";
import {
  type CompareBar,
  compareBars,
  compareDomain,
  decodePoint,
  type Edits,
  type EditValue,
  type Field,
  fieldOf,
  hasEdit,
  numberText,
  parseNumber,
  predictionText,
  rowPrediction,
  shownOutput,
  valueText,
  type WhatIfPoint,
  whatIfCsv,
  whatIfScene,
  withEdit,
} from "./whatIfLogic";
import { signedValuesNote, unitsPhrase } from "./wording";

export const JOB = "what_if";
export const POINTS_TRAIT = "what_if_points";
export const DEBOUNCE_MS = 150;
const TOP_BARS = 12;
const MISSING = "__missing__"; // a select's value for a missing value (a category may be called "missing")

export function createWhatIf(store: TabularStore): TabularView {
  const { data } = store;
  const kernel = store.kernel;
  const live = kernel?.available === true;
  const kept: KeptTrait | null = kernel?.kept?.(POINTS_TRAIT) ?? null;
  // after a number: " log-odds"; nothing for a regression without units of its own ("12.3", not "12.3 the model's output units")
  const units = unitsPhrase(data.meta) === "the model's output units" ? "" : ` ${unitsPhrase(data.meta)}`;

  let row = firstSelected() ?? 0;
  let edits: Edits = {};
  let requestId = 0; // the id of the request whose result the view waits for (0: none)
  let point: WhatIfPoint | null = null; // the result for the current row and edits
  let timer: ReturnType<typeof setTimeout> | undefined;
  const invalid = new Set<string>();

  const rowInput = h("input", {
    testid: "what-if-row",
    title: "The explained row the what-if starts from",
    attrs: { type: "number", min: "0", max: String(Math.max(0, data.n - 1)), step: "1", "aria-label": "row to edit" },
  });
  const resetAll = h("button", { text: "Reset all", testid: "what-if-reset-all", attrs: { type: "button" } });
  const fieldsEl = h("div", { cls: "rw-wi-fields", testid: "what-if-fields" });
  const status = h("div", { cls: "rw-wi-status", testid: "what-if-status", attrs: { role: "status", "aria-live": "polite" } });
  const predictionEl = h("div", { cls: "rw-wi-prediction", testid: "what-if-prediction" });
  const findingsEl = h("div", { cls: "rw-wi-findings", testid: "what-if-findings" });
  const chartNote = h("div", { cls: "rw-muted rw-wi-note" });
  const chartEl = h("div", { cls: "rw-wi-chart", testid: "what-if-chart" });
  const nameInput = h("input", {
    testid: "what-if-name",
    title: "A name for the point (the index of dash.what_if)",
    attrs: { type: "text", "aria-label": "name of the point to keep", maxlength: "200" },
  });
  const keepButton = h("button", { text: "Keep", testid: "what-if-keep", attrs: { type: "button" } });
  const keptList = createKeptPoints(store, kept, live);

  const stem = () => `what-if-row_${row}`;
  const exportGroup = exportControls("the what-if attribution", [
    { format: "png", what: "the what-if attribution", fileName: stem, build: () => canvasPng(sceneToCanvas(scene())) },
    { format: "svg", what: "the what-if attribution", fileName: stem, build: () => sceneToSvg(scene()) },
    { format: "csv", what: "the what-if attribution", fileName: stem, build: () => csv() },
  ]);
  const scene = () => {
    if (!point) throw new Error("no what-if point to save yet");
    const c = output();
    return whatIfScene(data, row, c, point, compareBars(data, row, c, point, TOP_BARS));
  };
  const csv = () => {
    if (!point) throw new Error("no what-if point to save yet");
    return whatIfCsv(data, row, output(), point);
  };

  const resultEl = h("div", { cls: "rw-wi-result" }, [
    predictionEl,
    findingsEl,
    h("div", { cls: "rw-toolbar rw-wi-charthead" }, [chartNote, exportGroup]),
    chartEl,
    h("div", { cls: "rw-toolbar rw-wi-keep" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Keep as" }), nameInput]),
      keepButton,
    ]),
  ]);
  const editor = h("div", { cls: "rw-wi-editor" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Row" }), rowInput]),
      resetAll,
      h("span", { cls: "rw-muted", text: "edit any value; the model and the surrogate are asked at once" }),
    ]),
    fieldsEl,
    status,
    resultEl,
  ]);
  const el = h("section", { cls: "rw-section rw-wi", testid: "what-if" }, [
    h("h3", { text: "What-if" }),
    live
      ? editor
      : h("div", {
          cls: "rw-wi-off",
          testid: "what-if-unavailable",
          text: `Editing is off: what-if ${kernel?.reason ?? "needs a running kernel."}`,
        }),
    h("h4", { cls: "rw-wi-kepthead", text: "Kept what-if points" }),
    keptList.el,
  ]);

  function firstSelected(): number | null {
    const r = store.state.selected.find((i) => Number.isInteger(i) && i >= 0 && i < data.n);
    return r ?? null;
  }

  function output(): number {
    return shownOutput(data, store.state.output, point);
  }

  // ---------------------------------------------------------------- fields

  function fieldInput(field: Field): HTMLElement {
    const current = hasEdit(edits, field.name) ? edits[field.name] : field.original;
    const label = `${field.name} of the what-if`;
    const set = (v: EditValue) => {
      invalid.delete(field.name);
      edits = withEdit(edits, field, v);
      changed();
    };
    if (field.kind === "numeric") {
      const input = h("input", {
        cls: "rw-wi-input",
        testid: "what-if-input",
        attrs: { type: "number", step: "any", placeholder: "missing", "aria-label": label, "data-feature": field.name },
      });
      // the row's own value as its shortest float32 text; what the user typed as typed
      input.value = current === null ? "" : hasEdit(edits, field.name) ? String(current) : numberText(current as number);
      input.addEventListener("input", () => {
        const parsed = parseNumber(input.value, input.validity.badInput);
        if ("error" in parsed) {
          invalid.add(field.name);
          input.setAttribute("aria-invalid", "true");
          input.title = `${field.name}: ${parsed.error}`;
          showStatus("error", `${field.name}: ${parsed.error}.`);
          return;
        }
        input.removeAttribute("aria-invalid");
        input.title = "";
        set(parsed.value);
      });
      return input;
    }
    const select = h("select", { cls: "rw-wi-input", testid: "what-if-input", attrs: { "aria-label": label, "data-feature": field.name } });
    const levels: [string, string][] =
      field.kind === "bool"
        ? [
            ["true", "true"],
            ["false", "false"],
          ]
        : field.categories.map((c) => [c, c]);
    select.append(...levels.map(([value, text]) => option(value, text)), option(MISSING, "(missing)"));
    select.value = current === null ? MISSING : String(current);
    select.addEventListener("change", () => {
      const v = select.value;
      set(v === MISSING ? null : field.kind === "bool" ? v === "true" : v);
    });
    return select;
  }

  function drawFields(): void {
    rowInput.value = String(row);
    const cells = data.meta.feature_names.map((_, j) => {
      const field = fieldOf(data, row, j);
      const edited = hasEdit(edits, field.name);
      const reset = h("button", {
        cls: "rw-wi-reset",
        text: "↺",
        title: `Reset ${field.name} to row ${row}'s value`,
        attrs: { type: "button", "aria-label": `reset ${field.name}` },
      });
      reset.disabled = !edited && !invalid.has(field.name);
      reset.addEventListener("click", () => {
        invalid.delete(field.name);
        const next = { ...edits };
        delete next[field.name];
        edits = next;
        drawFields();
        changed();
      });
      return h("div", { cls: `rw-wi-field${edited ? " rw-wi-edited" : ""}`, attrs: { "data-feature": field.name } }, [
        h("span", { cls: "rw-wi-fname", text: field.name, title: field.name }),
        fieldInput(field),
        reset,
        h("span", {
          cls: "rw-wi-was rw-muted",
          text: edited ? `was ${valueText(field.original)}` : "",
          title: `row ${row}: ${valueText(field.original)}`,
        }),
      ]);
    });
    fieldsEl.replaceChildren(...cells);
    resetAll.disabled = Object.keys(edits).length === 0 && invalid.size === 0;
  }

  // ---------------------------------------------------------------- the job

  function showStatus(kind: "" | "running" | "error", text: string): void {
    status.textContent = text;
    status.dataset.state = kind;
    status.classList.toggle("rw-error", kind === "error");
  }

  function changed(): void {
    for (const cell of fieldsEl.querySelectorAll<HTMLElement>(".rw-wi-field")) {
      const name = cell.dataset.feature ?? "";
      const edited = hasEdit(edits, name);
      cell.classList.toggle("rw-wi-edited", edited);
      const field = fieldOf(data, row, data.meta.feature_names.indexOf(name));
      (cell.querySelector(".rw-wi-was") as HTMLElement).textContent = edited ? `was ${valueText(field.original)}` : "";
      (cell.querySelector(".rw-wi-reset") as HTMLButtonElement).disabled = !edited && !invalid.has(name);
    }
    resetAll.disabled = Object.keys(edits).length === 0 && invalid.size === 0;
    clearTimeout(timer);
    point = null;
    if (invalid.size) {
      requestId = 0;
      drawResult();
      return;
    }
    if (!Object.keys(edits).length) {
      if (requestId) kernel?.cancel(JOB);
      requestId = 0;
      showStatus("", "");
      drawResult();
      return;
    }
    showStatus("running", "computing…");
    timer = setTimeout(() => {
      if (!kernel) return;
      requestId = kernel.request(JOB, { row, values: { ...edits } });
      onJob();
    }, DEBOUNCE_MS);
  }

  function onJob(): void {
    if (!kernel || !requestId) return;
    const s = kernel.status(JOB);
    const result = kernel.result(JOB);
    if (result && result.id === requestId && !point) {
      point = decodePoint(result, data.f, data.k);
      if (!point) showStatus("error", "The kernel's what-if result could not be read.");
      else showStatus("", "");
      drawResult();
      return;
    }
    if (s.id !== requestId) return;
    if (s.state === "running") showStatus("running", "computing…");
    else if (s.state === "error") showStatus("error", `The what-if could not be computed: ${s.message}`);
    else if (s.state === "cancelled") showStatus("", "");
  }

  // ---------------------------------------------------------------- the result

  function drawPrediction(p: WhatIfPoint, c: number): void {
    const before = rowPrediction(data, row);
    const side = (title: string, pred: typeof before, extra: string, testid: string) =>
      h("div", { cls: "rw-wi-pred", testid }, [
        h("div", { cls: "rw-wi-predtitle rw-muted", text: title }),
        h("div", { cls: "rw-wi-predlabel", text: `predicted ${predictionText(data, pred.label, pred.probabilities, c)}` }),
        h("div", { cls: "rw-muted", text: `model output ${fmt(pred.modelOutput[c])}${units}${extra}` }),
      ]);
    const gap = p.gap[c];
    predictionEl.replaceChildren(
      side(`row ${row} (as explained)`, before, "", "what-if-before"),
      side("what-if", p.prediction, "", "what-if-after"),
      h("div", { cls: "rw-wi-gap", testid: "what-if-gap" }, [
        h("div", { cls: "rw-wi-predtitle rw-muted", text: "surrogate" }),
        h("div", { text: `output ${fmt(p.surrogate[c])}${units}` }),
        h("div", { cls: "rw-muted", text: `${fmt(gap)}${units} from the model's output` }),
      ]),
    );
  }

  function drawFindings(p: WhatIfPoint): void {
    if (!p.findings.length) {
      findingsEl.replaceChildren();
      findingsEl.hidden = true;
      return;
    }
    findingsEl.hidden = false;
    findingsEl.replaceChildren(
      h("div", { cls: "rw-wi-findtitle", text: "⚠ Read this attribution with care:" }),
      h(
        "ul",
        {},
        p.findings.map((f) =>
          h("li", { testid: "what-if-finding", text: f.message, attrs: { "data-kind": f.kind, "data-feature": f.feature ?? "" } }),
        ),
      ),
    );
  }

  function track(v: number, domain: [number, number], which: string): HTMLElement {
    const g = barGeometry(v, domain);
    const zero = barGeometry(0, domain).left;
    return h("span", { cls: `rw-local-track rw-wi-track rw-wi-${which}` }, [
      h("span", { cls: "rw-local-zero", attrs: { style: `left:${zero}%` } }),
      h("span", {
        cls: "rw-local-fill",
        attrs: { style: `left:${g.left}%;width:${Math.max(g.width, 0.3)}%;background:${v >= 0 ? POS_COLOR : NEG_COLOR}` },
      }),
    ]);
  }

  function drawChart(p: WhatIfPoint, c: number): void {
    const bars = compareBars(data, row, c, p, TOP_BARS);
    const domain = compareDomain(bars);
    const signed = (v: number) => (v > 0 ? "+" : "") + fmt(v);
    const cells: HTMLElement[] = [
      h("span", { cls: "rw-wi-colhead rw-muted", text: "feature = what-if value" }),
      h("span", { cls: "rw-wi-colhead rw-muted", text: `row ${row} (as explained)` }),
      h("span"),
      h("span", { cls: "rw-wi-colhead rw-muted", text: "what-if" }),
      h("span"),
    ];
    for (const b of bars) cells.push(...barRow(b, domain, signed));
    chartEl.replaceChildren(h("div", { cls: "rw-wi-bars" }, cells));
    chartNote.textContent = `${signedValuesNote(data.meta, { kind: "output", index: c })} Sorted by |what-if value|.`;
  }

  function barRow(b: CompareBar, domain: [number, number], signed: (v: number) => string): HTMLElement[] {
    const attrs: Record<string, string> = { "data-original": String(b.original), "data-value": String(b.edited) };
    if (b.feature !== null) attrs["data-feature"] = b.name;
    const label =
      b.feature === null
        ? h("span", { cls: "rw-wi-blabel rw-muted", text: b.name, title: b.name })
        : h("span", { cls: `rw-wi-blabel${b.changed ? " rw-wi-changed" : ""}`, title: `${b.name} = ${b.editedShown}` }, [
            h("span", { cls: "rw-local-label-name", text: b.name }),
            h("span", { cls: "rw-local-label-value", text: ` = ${b.editedShown}` }),
            b.changed ? h("span", { cls: "rw-wi-wasvalue", text: ` (was ${b.originalShown})` }) : null,
          ]);
    return [
      h("span", { cls: "rw-wi-brow", testid: "what-if-bar", attrs }, [label]),
      track(b.original, domain, "before"),
      h("span", { cls: "rw-local-value rw-wi-bval", text: signed(b.original) }),
      track(b.edited, domain, "after"),
      h("span", { cls: "rw-local-value rw-wi-bval", text: signed(b.edited) }),
    ];
  }

  function drawResult(): void {
    const p = point;
    resultEl.hidden = !p;
    exportGroup.setEnabled(!!p);
    if (!p) {
      if (!Object.keys(edits).length && status.dataset.state !== "error")
        showStatus("", `Edit a value of row ${row} to see what the model and the surrogate make of it.`);
      return;
    }
    const c = output();
    drawPrediction(p, c);
    drawFindings(p);
    drawChart(p, c);
    const taken = keptList.names();
    if (!nameInput.value.trim() || taken.includes(nameInput.value.trim())) nameInput.value = uniqueName(`row ${row} what-if`, taken);
    keepButton.disabled = false;
  }

  // ---------------------------------------------------------------- kept points

  function keep(): void {
    if (!point || !kept) return;
    const taken = keptList.names();
    const name = uniqueName(nameInput.value.trim() || `row ${row} what-if`, taken);
    keptList.keep(name, point);
    nameInput.value = uniqueName(name, [...taken, name]);
  }

  // ---------------------------------------------------------------- wiring

  function setRow(next: number): void {
    if (!Number.isInteger(next) || next < 0 || next >= data.n || next === row) {
      rowInput.value = String(row);
      return;
    }
    row = next;
    edits = {};
    invalid.clear();
    drawFields();
    changed();
  }

  rowInput.addEventListener("change", () => setRow(Number(rowInput.value)));
  resetAll.addEventListener("click", () => {
    edits = {};
    invalid.clear();
    drawFields();
    changed();
  });
  keepButton.addEventListener("click", keep);
  nameInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") keep();
  });

  const unwatch = live && kernel ? kernel.watch(JOB, onJob) : () => {};
  if (live) {
    drawFields();
    drawResult();
  }

  return {
    el,
    update(keys) {
      if (keys.has("selected") && live && !Object.keys(edits).length && !invalid.size) {
        const first = firstSelected();
        if (first !== null) setRow(first);
      }
      if (keys.has("output")) {
        if (point) drawResult();
        keptList.draw();
      }
    },
    destroy() {
      clearTimeout(timer);
      unwatch();
      keptList.destroy();
    },
  };
}
