// Charts drawn as SVG with the shared DOM helpers: a line chart of rates over time and
// bar charts (stacked when given several series). No library, no build step.

import { clear, s } from "../common/dom.js";

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { top: 24, right: 12, bottom: 46, left: 40 };
const PERCENT = 100;
const TICKS = 4;
const LEGEND_STEP = 110;

function frame(svg) {
  clear(svg);
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  return { w: WIDTH - PAD.left - PAD.right, h: HEIGHT - PAD.top - PAD.bottom };
}

function yAxis(svg, h, max, format) {
  for (let i = 0; i <= TICKS; i += 1) {
    const y = PAD.top + h - (h * i) / TICKS;
    svg.append(s("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y }),
      s("text", { x: PAD.left - 4, y: y + 4, "text-anchor": "end" }, format((max * i) / TICKS)));
  }
}

function xLabels(svg, labels, x) {
  labels.forEach((text, i) => {
    svg.append(s("text", { x: x(i), y: HEIGHT - PAD.bottom + 14, "text-anchor": "end",
      transform: `rotate(-35 ${x(i)} ${HEIGHT - PAD.bottom + 14})` }, text));
  });
}

function legend(svg, items) {
  const g = s("g", { class: "legend" });
  items.forEach(({ name, cls }, i) => {
    const x = PAD.left + i * LEGEND_STEP;
    g.append(s("rect", { class: cls, x, y: 4, width: 10, height: 10 }),
      s("text", { x: x + 14, y: 13 }, name));
  });
  svg.append(g);
}

/** Lines of rates (0..1 or null) over ``labels``: series [{name, cls, values}]. */
export function lineChart(svg, labels, series) {
  const { w, h } = frame(svg);
  yAxis(svg, h, 1, (v) => `${Math.round(v * PERCENT)}%`);
  const x = (i) => PAD.left + (labels.length > 1 ? (w * i) / (labels.length - 1) : w / 2);
  const y = (v) => PAD.top + h - h * v;
  for (const { cls, values, name } of series) {
    let path = "";
    values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      path += `${path ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      svg.append(s("circle", { class: `${cls} dot`, cx: x(i), cy: y(v), r: 3,
        dataset: { value: String(v), series: name } }));
    });
    if (path) svg.append(s("path", { class: cls, d: path }));
  }
  xLabels(svg, labels, x);
  legend(svg, series.map(({ name, cls }) => ({ name, cls: cls.replace("line", "bar") })));
  svg.dataset.points = String(labels.length);
}

/** Bars per label, stacked from ``series`` [{name, cls, values}] (counts). */
export function barChart(svg, labels, series, { onBar = null } = {}) {
  const { w, h } = frame(svg);
  const totals = labels.map((_, i) => series.reduce((a, sr) => a + (sr.values[i] || 0), 0));
  const max = Math.max(TICKS, Math.ceil(Math.max(...totals, 0) / TICKS) * TICKS);
  yAxis(svg, h, max, (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)));
  const step = w / Math.max(1, labels.length);
  const bar = Math.max(2, step * 0.7);
  const x = (i) => PAD.left + step * i + step / 2;
  labels.forEach((label, i) => {
    let base = 0;
    for (const { cls, values, name } of series) {
      const v = values[i] || 0;
      if (!v) continue;
      const top = PAD.top + h - (h * (base + v)) / max;
      const rect = s("rect", { class: cls, x: x(i) - bar / 2, y: top, width: bar,
        height: (h * v) / max, dataset: { label, series: name, value: String(v) } },
      s("title", {}, `${label} ${name}: ${v}`));
      if (onBar) rect.addEventListener("click", () => onBar(i, name));
      svg.append(rect);
      base += v;
    }
  });
  xLabels(svg, labels, x);
  if (series.length > 1) legend(svg, series);
  svg.dataset.bars = String(labels.length);
}
