// A disposal member's jobs, live from WS /ws/team: a new offer pops up (with a beep and a
// vibration) and is accepted with one tap; only one member wins it, and everyone else sees at
// once who did (job.taken, or a 409 already_taken). Below: the jobs the member holds, with
// their time light, opened full screen to report progress, resolve, return or ask for time.
// A part of a joint case (协办) for the member's department is offered, won and held the same
// way: the offer names the ``part``, and the part's own light is shown.

import { h } from "../../common/dom.js";
import { SECOND_MS } from "../../common/format.js";
import { t } from "../../common/i18n.js";
import { caseRow } from "../caselist.js";
import { lightOf, timeLeftText } from "../lights.js";
import { alertPerson } from "../sound.js";
import { errorText, toast } from "../views.js";

/** The jobs a member holds (one offered back for rework comes as an offer). */
const HELD = new Set(["accepted", "resolved"]);
const LIST_LIMIT = 100;
const REFRESH_MS = 60 * SECOND_MS;
/** A job someone else took stays on the list, greyed, this long. */
const TAKEN_SHOWN_MS = 120 * SECOND_MS;
const ALREADY_TAKEN = "already_taken";
const HTTP_CONFLICT = 409;
const WARNING_KIND = { "job.warning": "case_warning", "job.overdue": "case_overdue",
  "job.supervised": "case_supervised" };

/** The part of ``c`` for department ``team`` (协办), or null. */
export function partOf(c, team) {
  return (c && c.parts || []).find((p) => p.department === team) || null;
}

export function createJobs({ api, user, names, socket, sheet, alerts, section,
                             onCount = () => {} }) {
  const me = user.username;
  const team = user.scope;
  const offers = new Map(); // id -> {case, taken: {by, at} | null, busy}
  const held = new Map(); // id -> case
  const seen = new Set(); // offers already announced on this page
  const dismissed = new Set(); // offers put aside in the pop-up ("later")
  let error = null;

  const offerList = h("ol", { id: "offer-list", class: "case-list offers" });
  const heldList = h("ol", { id: "held-list", class: "case-list" });
  const offerTitle = h("h2", null);
  const heldTitle = h("h2", null);
  const message = h("p", { class: "notice error", hidden: true });
  section.append(
    h("div", { class: "panel" }, offerTitle, offerList),
    h("div", { class: "panel" }, heldTitle, heldList),
    message);
  const popup = document.getElementById("offer");

  function takenText(offer) {
    return offer.taken.by === me ? t("job.taken_by_me")
      : t("job.taken_by", { by: offer.taken.by || "?" });
  }

  /** Accept a job: the case when won; marks it taken when someone else was faster. */
  async function accept(id) {
    const offer = offers.get(id);
    if (offer) offer.busy = true;
    render();
    try {
      const path = offer && offer.part
        ? `/api/v1/cases/${encodeURIComponent(id)}/parts/${encodeURIComponent(offer.part)}/accept`
        : `/api/v1/cases/${encodeURIComponent(id)}/accept`;
      const c = await api.post(path);
      offers.delete(id);
      held.set(c.id, c);
      toast(t("job.accepted", { id }));
      return c;
    } catch (exc) {
      if (exc.status === HTTP_CONFLICT && exc.code === ALREADY_TAKEN) {
        const by = await whoTook(id);
        if (offer) offer.taken = { by, at: Date.now() };
        toast(t("job.taken_by", { by: by || "?" }), "error");
      } else if (exc.status === HTTP_CONFLICT) {
        offers.delete(id); // no longer offered (returned, reassigned, cancelled)
        toast(t("job.gone", { id, message: errorText(exc) }), "error");
      } else {
        toast(t("case.failed", { message: errorText(exc) }), "error");
      }
      throw exc;
    } finally {
      if (offer) offer.busy = false;
      render();
    }
  }

  async function whoTook(id) {
    try {
      const c = await api.get(`/api/v1/cases/${encodeURIComponent(id)}`);
      const offer = offers.get(id);
      return offer && offer.part ? (partOf(c, offer.part) || {}).assignee : c.assignee;
    } catch {
      return null;
    }
  }

  function acceptAndOpen(id) {
    accept(id).then((c) => sheet.show(c.id, c)).catch(() => {});
  }

  function offerRow(offer) {
    const c = offer.case;
    const row = caseRow(c, names, () => sheet.show(c.id, c),
      offer.taken ? h("span", { class: "taken" }, takenText(offer)) : null);
    row.dataset.taken = offer.taken ? offer.taken.by || "" : "";
    if (!offer.taken) {
      row.append(h("button", { type: "button", class: "primary accept", dataset: { accept: c.id },
        disabled: Boolean(offer.busy), onclick: () => acceptAndOpen(c.id) }, t("job.accept")));
    }
    return row;
  }

  function renderPopup() {
    const open = [...offers.values()].filter((o) => !dismissed.has(o.case.id))
      .sort((a, b) => b.case.created - a.case.created);
    const offer = open[0];
    popup.hidden = !offer;
    if (!offer) return;
    const c = offer.case;
    popup.dataset.case = c.id;
    popup.dataset.taken = offer.taken ? offer.taken.by || "" : "";
    popup.replaceChildren(...[
      h("p", { class: "offer-kicker" }, t(c.state === "reopened" ? "job.offer_reopened"
        : "job.offer_new")),
      h("h2", null, h("span", { class: "light", dataset: { light: lightOf(c) } }),
        `${c.id} ${names.item(c.item, c.item_name)}`),
      h("p", null, [names.category(c.category), c.grid ? `${c.grid} ${names.grid(c.grid)}` : ""]
        .filter(Boolean).join(" · ")),
      h("p", { class: "offer-left" }, t("case.left"), " ",
        h("strong", { class: "case-left", dataset: { left: c.id } }, timeLeftText(c))),
      offer.taken ? h("p", { class: "taken" }, takenText(offer)) : null,
      h("div", { class: "button-row" },
        offer.taken ? null : h("button", { type: "button", class: "primary huge",
          id: "offer-accept", disabled: Boolean(offer.busy),
          onclick: () => acceptAndOpen(c.id) }, t("job.accept")),
        h("button", { type: "button", class: "secondary", id: "offer-later", onclick: () => {
          dismissed.add(c.id);
          renderPopup();
        } }, t(offer.taken ? "card.close" : "job.later"))),
    ].filter(Boolean));
  }

  function render() {
    offerTitle.textContent = t("job.offers");
    heldTitle.textContent = t("job.held");
    const offerItems = [...offers.values()].sort((a, b) => b.case.created - a.case.created);
    offerList.replaceChildren(...offerItems.map(offerRow));
    if (!offerItems.length) offerList.append(h("li", { class: "muted empty" }, t("job.no_offers")));
    const heldItems = [...held.values()].sort((a, b) => (a.deadline ?? Infinity)
      - (b.deadline ?? Infinity));
    heldList.replaceChildren(...heldItems.map((c) => caseRow(c, names, () => sheet.show(c.id, c))));
    if (!heldItems.length) heldList.append(h("li", { class: "muted empty" }, t("job.none_held")));
    message.hidden = !error;
    message.textContent = error ? t("cases.load_failed", { message: error }) : "";
    onCount(offerItems.filter((o) => !o.taken).length);
    renderPopup();
  }

  async function loadHeld() {
    try {
      const query = new URLSearchParams({ assignee: me, state: [...HELD].join(","),
        limit: String(LIST_LIMIT) });
      const page = await api.get(`/api/v1/cases?${query}`);
      // the parts of joint cases this member holds for the department
      const joint = await api.get(`/api/v1/cases?${new URLSearchParams({ department: team,
        state: "open", limit: String(LIST_LIMIT) })}`);
      held.clear();
      for (const c of page.items || []) held.set(c.id, c);
      for (const c of joint.items || []) {
        const part = partOf(c, team);
        if (part && part.assignee === me && HELD.has(part.state)) held.set(c.id, c);
      }
      error = null;
    } catch (exc) {
      error = errorText(exc);
    }
    render();
  }

  /** A case changed: file it where it belongs now. */
  function place(c) {
    const offer = offers.get(c.id);
    const part = partOf(c, team);
    const heldByMe = (c.assignee === me && HELD.has(c.state))
      || Boolean(part && part.assignee === me && HELD.has(part.state));
    const offeredToMe = offer && offer.part ? Boolean(part && part.state === "offered")
      : (c.state === "dispatched" && c.department === team)
        || (c.state === "reopened" && c.assignee === me);
    const takenBy = offer && offer.part ? part && part.assignee : c.state === "accepted" && c.assignee;
    if (heldByMe) {
      offers.delete(c.id);
      held.set(c.id, c);
    } else {
      held.delete(c.id);
    }
    if (offer && !offer.taken) {
      if (offeredToMe) offer.case = c;
      else if (takenBy) offer.taken = { by: takenBy, at: Date.now() };
      else offers.delete(c.id); // returned, reassigned or cancelled
    }
    sheet.changed(c);
  }

  function onOffered(message) {
    const c = message.case;
    if (!c || !c.id) return;
    const known = offers.get(c.id);
    offers.set(c.id, { case: c, taken: null, busy: known ? known.busy : false,
      part: message.part || null });
    held.delete(c.id);
    if (!seen.has(c.id)) {
      seen.add(c.id);
      dismissed.delete(c.id);
      alertPerson();
    }
    render();
  }

  function onTaken(message) {
    const offer = offers.get(message.case);
    if (!offer) return;
    offer.taken = { by: message.by, at: Date.now() };
    render();
  }

  function onUpdate(message) {
    if (message.case && message.case.id) place(message.case);
    const kind = WARNING_KIND[message.type];
    if (kind && message.case) {
      alerts.add({ id: `${kind}:${message.case.id}:${message.level ?? message.kind ?? ""}`,
        kind, ts: Date.now(), case: message.case.id, state: "open", note: message.note });
      alertPerson();
    }
    render();
  }

  socket.on("job.offered", onOffered);
  socket.on("job.taken", onTaken);
  for (const type of ["job.updated", "job.warning", "job.overdue", "job.supervised"]) {
    socket.on(type, onUpdate);
  }
  socket.onState((state) => {
    if (state !== "open") return;
    // pending offers come again on every connection: drop the ones still open, they return
    for (const [id, offer] of offers) if (!offer.taken) offers.delete(id);
    loadHeld();
  });

  return {
    start() {
      loadHeld();
      setInterval(loadHeld, REFRESH_MS);
    },
    accept,
    render,
    tick() {
      const now = Date.now();
      let dropped = false;
      for (const [id, offer] of offers) {
        if (offer.taken && now - offer.taken.at > TAKEN_SHOWN_MS) {
          offers.delete(id);
          dropped = true;
        }
      }
      if (dropped) render();
      for (const el of document.querySelectorAll("#view-jobs .case-left[data-left], #offer .case-left")) {
        const id = el.dataset.left;
        const c = held.get(id) || (offers.get(id) || {}).case;
        if (c) el.textContent = timeLeftText(c);
      }
    },
    /** Someone opened the held job from elsewhere (a sheet action changed it). */
    changed(c) {
      place(c);
      render();
    },
  };
}
