// A department lead's view of the department: every open job, who holds it, and its light,
// grouped by where it stands. Kept fresh from the team socket's job messages.

import { h } from "../../common/dom.js";
import { SECOND_MS } from "../../common/format.js";
import { t } from "../../common/i18n.js";
import { caseRow } from "../caselist.js";
import { CLOSED_STATES, timeLeftText } from "../lights.js";
import { errorText } from "../views.js";

const LIST_LIMIT = 200;
const REFRESH_MS = 60 * SECOND_MS;
const RELOAD_DELAY_MS = 800;
/** The groups of the list, in order: [key, states]. */
const GROUPS = [
  ["waiting", new Set(["dispatched", "reopened"])],
  ["working", new Set(["accepted"])],
  ["checking", new Set(["resolved"])],
  ["other", null],
];

export function createTeam({ api, user, names, socket, sheet, section }) {
  const department = user.scope;
  let cases = [];
  let error = null;
  let reloadTimer = null;

  const heading = h("h2", null);
  const summary = h("p", { class: "muted", id: "team-summary" });
  const groups = new Map(GROUPS.map(([key]) => [key, {
    title: h("h3", null), list: h("ol", { class: "case-list", dataset: { group: key } }) }]));
  const message = h("p", { class: "notice error", hidden: true });
  section.append(h("div", { class: "panel" }, heading, summary,
    ...[...groups.values()].flatMap((g) => [g.title, g.list])), message);

  function render() {
    heading.textContent = t("team.title", { department: names.department(department) });
    const holders = new Set(cases.map((c) => c.assignee).filter(Boolean));
    summary.textContent = t("team.summary", { open: cases.length, holders: holders.size });
    const used = new Set();
    for (const [key, states] of GROUPS) {
      const { title, list } = groups.get(key);
      const items = cases.filter((c) => !used.has(c.id) && (!states || states.has(c.state)));
      for (const c of items) used.add(c.id);
      title.textContent = `${t(`team.group.${key}`)} (${items.length})`;
      list.replaceChildren(...items.map((c) => caseRow(c, names, () => sheet.show(c.id, c),
        h("span", { class: "holder", dataset: { holder: c.assignee || "" } },
          c.assignee ? t("team.holder", { who: c.assignee }) : t("team.no_holder")),
        { holder: false })));
      title.hidden = !items.length;
    }
    message.hidden = !error;
    message.textContent = error ? t("cases.load_failed", { message: error }) : "";
  }

  async function load() {
    try {
      const query = new URLSearchParams({ department, state: "open", limit: String(LIST_LIMIT) });
      cases = ((await api.get(`/api/v1/cases?${query}`)).items || [])
        .sort((a, b) => (a.deadline ?? Infinity) - (b.deadline ?? Infinity));
      error = null;
    } catch (exc) {
      error = errorText(exc);
    }
    render();
  }

  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, RELOAD_DELAY_MS);
  }

  for (const type of ["job.offered", "job.taken", "job.updated", "job.warning", "job.overdue"]) {
    socket.on(type, reloadSoon);
  }

  return {
    start() {
      load();
      setInterval(load, REFRESH_MS);
    },
    load,
    render,
    tick() {
      for (const el of section.querySelectorAll(".case-left[data-left]")) {
        const c = cases.find((x) => x.id === el.dataset.left);
        if (c && !CLOSED_STATES.has(c.state)) el.textContent = timeLeftText(c);
      }
    },
  };
}
