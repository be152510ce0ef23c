// The day's figures across the top: the snapshot's `figures`, then `figures` deltas. What
// the server does not say yet is worked out from what the page knows (or shown as a dash).

import { byId, h } from "../common/dom.js";
import { formatPercent } from "../common/format.js";
import { t } from "../common/i18n.js";

const PERCENT_MAX = 100;
/** The tiles, in order; `rate` tiles show a share (0..1, or a percentage above 1). */
const TILES = Object.freeze([
  { key: "reported" },
  { key: "closed" },
  { key: "closure_rate", rate: true },
  { key: "on_time_rate", rate: true },
  { key: "overdue", tone: "red" },
  { key: "patrols_done" },
  { key: "patrols_missed", tone: "yellow" },
  { key: "workers_online" },
]);

function share(value) {
  return value > 1 ? value / PERCENT_MAX : value;
}

/** ``derive()`` gives figures worked out on the page, used only when the server has none;
 * ``caption``: a text key said before the tiles (the street's figures on a station's screen). */
export function createFigures({ derive = () => ({}), caption = null }) {
  const root = byId("figures");
  let figures = {};

  function value(key) {
    const given = figures[key];
    if (Number.isFinite(given)) return given;
    if (key === "closure_rate" && Number.isFinite(figures.reported) && figures.reported > 0
        && Number.isFinite(figures.closed)) return figures.closed / figures.reported;
    const derived = derive()[key];
    return Number.isFinite(derived) ? derived : null;
  }

  function render() {
    const note = caption ? [h("span", { class: "figures-caption", dataset: { caption } },
      t(caption))] : [];
    root.replaceChildren(...note, ...TILES.map(({ key, rate, tone }) => {
      const v = value(key);
      const text = v === null ? t("time.none") : rate ? formatPercent(share(v)) : String(v);
      return h("div", { class: "figure", dataset: { figure: key, tone: tone && v ? tone : "" } },
        h("span", { class: "figure-value" }, text),
        h("span", { class: "figure-label" }, t(`fig.${key}`)));
    }));
  }

  return {
    replace(section) {
      figures = section && typeof section === "object" ? { ...section } : {};
      render();
    },
    render,
  };
}
