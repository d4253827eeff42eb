// The data explorer's toolbar: native selects and checkboxes with labels (keyboard reachable), and which
// of them apply to the current settings (the others are hidden or disabled, never left doing nothing).
import { h, option } from "../../core/dom";
import type { TabularData } from "../data";
import { type AxisValues, type ShapOutput, shapOutputKey } from "./axes";
import type { Stat } from "./export";

export const BIN_CHOICES = [5, 10, 20, 30, 50, 100];

export type Mode = "individual" | "aggregate";

export interface ExplorerSettings {
  mode: Mode;
  x: string; // axis ids
  y: string;
  colour: string; // "cohort" or an axis id
  logX: boolean;
  logY: boolean;
  bins: number;
  stat: Stat;
  /** The output of SHAP axes; null follows the store's (its average: each row's predicted class). */
  output: ShapOutput | null;
}

export interface ExplorerControls {
  items: HTMLElement[];
  /** Show the settings; hide or disable what does nothing with them. */
  sync(settings: ExplorerSettings, output: ShapOutput): void;
}

export function explorerControls(
  axes: AxisValues,
  data: TabularData,
  change: (patch: Partial<ExplorerSettings>) => void,
): ExplorerControls {
  const axisSelect = (title: string, testid: string, withCohort: boolean) => {
    const s = h("select", { title, testid });
    if (withCohort) s.append(option("cohort", "cohort"));
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const a of axes.axes) {
      let g = groups.get(a.group);
      if (!g) {
        g = document.createElement("optgroup");
        g.label = a.group;
        groups.set(a.group, g);
        s.append(g);
      }
      g.append(option(a.id, a.label));
    }
    return s;
  };
  const select = (title: string, testid: string, options: [string, string][]) => {
    const s = h("select", { title, testid });
    s.append(...options.map(([v, label]) => option(v, label)));
    return s;
  };
  const control = (label: string, input: HTMLElement) => h("label", { cls: "rw-control" }, [h("span", { text: label }), input]);
  const check = (label: string, input: HTMLInputElement) =>
    h("label", { cls: "rw-control rw-ex-check" }, [input, h("span", { text: label })]);

  const modeSelect = select("Every row as a point, or x in bins", "explorer-mode", [
    ["individual", "individual rows"],
    ["aggregate", "aggregate by x"],
  ]);
  const xSelect = axisSelect("What the x axis shows", "explorer-x", false);
  const ySelect = axisSelect("What the y axis shows", "explorer-y", false);
  const colourSelect = axisSelect("What colours the points", "explorer-colour", true);
  const logX = h("input", { testid: "explorer-logx", attrs: { type: "checkbox" } });
  const logY = h("input", { testid: "explorer-logy", attrs: { type: "checkbox" } });
  const binsSelect = select(
    "Number of equal-width bins of x",
    "explorer-bins",
    BIN_CHOICES.map((b) => [String(b), String(b)]),
  );
  const statSelect = select("What each bin shows", "explorer-stat", [
    ["count", "count of rows"],
    ["mean", "mean of y"],
    ["box", "box of y"],
  ]);
  const classification = data.meta.task === "classification";
  const outputSelect = select("The output the SHAP values are toward", "explorer-output", [
    ...data.meta.output_names.map((name, c): [string, string] => [`output:${c}`, classification ? `class ${name}` : name]),
    ...(classification ? [["predicted", "each row's predicted class"] as [string, string]] : []),
  ]);
  const colourControl = control("Colour by", colourSelect);
  const outputControl = control("SHAP toward", outputSelect);
  const logXControl = check("log x", logX);
  const logYControl = check("log y", logY);
  const binsControl = control("Bins", binsSelect);
  const statControl = control("Show", statSelect);

  modeSelect.addEventListener("change", () => change({ mode: modeSelect.value as Mode }));
  xSelect.addEventListener("change", () => change({ x: xSelect.value, logX: false }));
  ySelect.addEventListener("change", () => change({ y: ySelect.value, logY: false }));
  colourSelect.addEventListener("change", () => change({ colour: colourSelect.value }));
  logX.addEventListener("change", () => change({ logX: logX.checked }));
  logY.addEventListener("change", () => change({ logY: logY.checked }));
  binsSelect.addEventListener("change", () => change({ bins: Number(binsSelect.value) }));
  statSelect.addEventListener("change", () => change({ stat: statSelect.value as Stat }));
  outputSelect.addEventListener("change", () => {
    const v = outputSelect.value;
    change({ output: v === "predicted" ? { kind: "predicted" } : { kind: "output", index: Number(v.slice(7)) } });
  });

  return {
    items: [
      control("View", modeSelect),
      control("x", xSelect),
      control("y", ySelect),
      colourControl,
      outputControl,
      logXControl,
      logYControl,
      binsControl,
      statControl,
    ],
    sync(s, output) {
      modeSelect.value = s.mode;
      xSelect.value = s.x;
      ySelect.value = s.y;
      colourSelect.value = s.colour;
      binsSelect.value = String(s.bins);
      statSelect.value = s.stat;
      outputSelect.value = shapOutputKey(output);
      const x = axes.get(s.x);
      const y = axes.get(s.y);
      const aggregate = s.mode === "aggregate";
      const numericX = x?.kind === "number";
      const yShown = !aggregate || s.stat !== "count";
      colourControl.hidden = aggregate;
      binsControl.hidden = !aggregate;
      statControl.hidden = !aggregate;
      binsSelect.disabled = !numericX;
      binsSelect.title = numericX ? "Number of equal-width bins of x" : "A category or boolean x has one bin per level";
      const shown = [x, yShown ? y : undefined, aggregate ? undefined : axes.get(s.colour)];
      outputControl.hidden = !shown.some((a) => a && a.group === "SHAP values") || outputSelect.options.length < 2;
      logXControl.hidden = aggregate;
      logX.disabled = !numericX;
      logX.checked = s.logX;
      logYControl.hidden = !yShown;
      logY.disabled = y?.kind !== "number";
      logY.checked = s.logY;
    },
  };
}
