// The app's frame: one view at a time under the top bar, a tab bar at the bottom (with a badge
// per tab), and short notices ("toasts") over everything.

import { byId, h } from "../common/dom.js";
import { t } from "../common/i18n.js";
import { icon } from "./icons.js";

const TAB_KEY = "dispatch.app.tab";
const TOAST_MS = 3500;

/**
 * defs: [{id, title: i18n key, icon}]; every view is a <section id="view-<id>"> in #views.
 * onShow(id) after a view is shown.
 */
export function createViews(defs, { onShow = () => {} } = {}) {
  const tabs = byId("tabs");
  const views = byId("views");
  const sections = new Map();
  const buttons = new Map();
  let shown = null;

  for (const def of defs) {
    const section = h("section", { id: `view-${def.id}`, class: "view", hidden: true,
      dataset: { view: def.id } });
    sections.set(def.id, section);
    views.append(section);
    const badge = h("span", { class: "badge", hidden: true });
    const button = h("button", { type: "button", class: "tab", dataset: { tab: def.id },
      onclick: () => show(def.id) },
    icon(def.icon, "icon tab-icon"),
    h("span", { class: "tab-label" }, t(def.title)), badge);
    buttons.set(def.id, { button, badge, def });
    tabs.append(button);
  }
  tabs.dataset.count = String(defs.length);

  function show(id) {
    if (!sections.has(id)) id = defs[0].id;
    shown = id;
    for (const [key, section] of sections) section.hidden = key !== id;
    for (const [key, { button }] of buttons) button.setAttribute("aria-current", String(key === id));
    byId("view-title").textContent = t(buttons.get(id).def.title);
    sessionStorage.setItem(TAB_KEY, id);
    window.scrollTo(0, 0);
    onShow(id);
  }

  return {
    section: (id) => sections.get(id),
    show,
    /** The tab shown last in this browser tab (after a reload), else the first. */
    showInitial() {
      show(sessionStorage.getItem(TAB_KEY) || defs[0].id);
    },
    current: () => shown,
    setBadge(id, count) {
      const entry = buttons.get(id);
      if (!entry) return;
      entry.badge.hidden = !count;
      entry.badge.textContent = count > 99 ? "99+" : String(count || "");
    },
    /** New texts after a language switch. */
    render() {
      for (const { button, def } of buttons.values()) {
        button.querySelector(".tab-label").textContent = t(def.title);
      }
      if (shown) byId("view-title").textContent = t(buttons.get(shown).def.title);
    },
  };
}

let toastTimer = null;
/** A failure stays up longer: the worker must have time to read what to do. */
const ERROR_TOAST_MS = 7000;

/** A short notice at the bottom of the screen; kind "error" shows it in red, for longer. */
export function toast(text, kind = "info") {
  const el = byId("toast");
  el.textContent = text;
  el.dataset.kind = kind;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, kind === "error" ? ERROR_TOAST_MS : TOAST_MS);
}

/** The text of an API error for people, in their language (see errors.js). */
export { errorText } from "./errors.js";
