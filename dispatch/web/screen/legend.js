// The map's legend: worker states (with how many are in each), case lights, and the scale
// of the grid shading in use.

import { byId, h } from "../common/dom.js";
import { label, t } from "../common/i18n.js";
import { LIGHTS } from "./cases.js";
import { WORKER_STATES } from "./workers.js";

/** Grids are shaded by their open cases up to this many (and more). */
export const CASE_SHADES = 3;

/** The shade of a grid with ``count`` open cases. */
export function caseShade(count) {
  return `c${Math.min(count, CASE_SHADES)}`;
}

export function renderLegend({ mode, workerCounts, lightCounts }) {
  const swatch = (cls, data) => h("span", { class: `swatch ${cls}`, dataset: data });
  const entry = (sw, text) => h("li", null, sw, h("span", null, text));

  const workers = h("section", null, h("h4", null, t("legend.workers")),
    h("ul", null, WORKER_STATES.map((state) => entry(swatch("dot-inline", { state }),
      `${label("worker.state.", state)} ${workerCounts[state] ?? 0}`))));
  const cases = h("section", null, h("h4", null, t("legend.cases")),
    h("ul", null, LIGHTS.map((light) => entry(swatch("marker", { light }),
      `${label("light.", light)} ${lightCounts[light] ?? 0}`))));
  const shades = mode === "patrol"
    ? WORKER_STATES.map((state) => entry(swatch("shade", { shade: state }),
      label("worker.state.", state)))
    : Array.from({ length: CASE_SHADES + 1 }, (_, n) => entry(swatch("shade",
      { shade: caseShade(n) }), t(`legend.cases.${n}`)));
  const shading = h("section", null, h("h4", null, t(`legend.shade.${mode}`)), h("ul", null, shades));
  byId("legend").replaceChildren(workers, cases, shading);
}
