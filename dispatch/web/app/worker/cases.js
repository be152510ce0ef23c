// The worker's cases: what they must do now (verify a result on site, handle a simple case
// themselves), what they reported, and the other cases of their grid, each with its state and
// time light. Verification tasks pushed on the phone socket come first, with a beep.

import { h } from "../../common/dom.js";
import { SECOND_MS } from "../../common/format.js";
import { t } from "../../common/i18n.js";
import { caseRow } from "../caselist.js";
import { allowedActions } from "../casesheet.js";
import { CLOSED_STATES, timeLeftText } from "../lights.js";
import { alertPerson } from "../sound.js";
import { errorText, toast } from "../views.js";

const LIST_LIMIT = 100;
const REFRESH_MS = 60 * SECOND_MS;
const TASK = "task";

export function createWorkerCases({ api, user, names, socket, sheet, section, grid = true,
                                    onCount = () => {} }) {
  const me = user.username;
  const cases = new Map();
  let error = null;
  let loading = false;

  const lists = {
    todo: h("ol", { id: "case-todo", class: "case-list" }),
    mine: h("ol", { id: "case-mine", class: "case-list" }),
    grid: h("ol", { id: "case-grid", class: "case-list" }),
  };
  const titles = { todo: h("h2", null), mine: h("h2", null), grid: h("h2", null) };
  const message = h("p", { class: "notice error", hidden: true });
  const refreshButton = h("button", { type: "button", class: "secondary", onclick: () => load() });
  section.append(...[
    h("div", { class: "panel tasks-panel" }, titles.todo, lists.todo),
    h("div", { class: "panel" }, titles.mine, lists.mine),
    grid ? h("div", { class: "panel", id: "case-grid-panel" }, titles.grid, lists.grid) : null,
    message, h("div", { class: "centre" }, refreshButton)].filter(Boolean));

  const isTodo = (c) => allowedActions(c, user).length > 0;

  function open(c) {
    sheet.show(c.id, c);
  }

  function render() {
    titles.todo.textContent = t("cases.todo");
    titles.mine.textContent = t("cases.mine");
    titles.grid.textContent = t("cases.grid");
    refreshButton.textContent = t(loading ? "card.loading" : "cases.refresh");
    const all = [...cases.values()].sort((a, b) => b.created - a.created);
    const todo = all.filter(isTodo);
    const mine = all.filter((c) => !isTodo(c) && c.reporter === me);
    const grid = all.filter((c) => !isTodo(c) && c.reporter !== me);
    const fill = (list, items, emptyKey) => {
      list.replaceChildren(...items.map((c) => caseRow(c, names, open)));
      if (!items.length) list.append(h("li", { class: "muted empty" }, t(emptyKey)));
    };
    fill(lists.todo, todo, "cases.todo_empty");
    fill(lists.mine, mine, "cases.mine_empty");
    fill(lists.grid, grid, "cases.grid_empty");
    message.hidden = !error;
    message.textContent = error ? t("cases.load_failed", { message: error }) : "";
    onCount(todo.length);
  }

  async function load() {
    loading = true;
    render();
    try {
      const page = await api.get(`/api/v1/cases?limit=${LIST_LIMIT}`);
      cases.clear();
      for (const c of page.items || []) cases.set(c.id, c);
      error = null;
    } catch (exc) {
      error = errorText(exc);
    } finally {
      loading = false;
      render();
    }
  }

  function update(c) {
    if (!c || !c.id) return;
    cases.set(c.id, { ...(cases.get(c.id) || {}), ...c });
    sheet.changed(c);
    render();
  }

  socket.on(TASK, (message) => {
    const c = message.case;
    if (!c) return;
    update(c);
    alertPerson();
    toast(t(`task.${message.kind}`, { id: c.id, item: names.item(c.item, c.item_name) }));
  });

  return {
    start() {
      load();
      setInterval(load, REFRESH_MS);
    },
    load,
    update,
    render,
    tick() {
      for (const el of section.querySelectorAll(".case-left[data-left]")) {
        const c = cases.get(el.dataset.left);
        if (c && !CLOSED_STATES.has(c.state)) el.textContent = timeLeftText(c);
      }
    },
  };
}
