// The public page for residents (随手拍): report a problem (its kind, a place on the map,
// text, a photo) and follow it by its token, rating the result once it is closed. It
// talks to the Open311 GeoReport v2 API like any other citizens' system, with the page's
// own API key (from /report/config.json).

import { h } from "../common/dom.js";
import { addTexts, lang, onLangChange, t, toggleLang, translate } from "../common/i18n.js";
import { createGridMap } from "../app/gridmap.js";

const TOKENS_KEY = "dispatch.citizen.tokens";
const MAX_TOKENS = 20;
const DECIMALS = 6;

addTexts({
  zh: {
    "citizen.title": "随手拍 · 反映问题", "citizen.tab_report": "我要反映",
    "citizen.tab_follow": "查询进度", "citizen.item": "问题类型",
    "citizen.place_hint": "在地图上点一下问题所在的位置，或使用手机定位。",
    "citizen.no_place": "尚未选择位置", "citizen.place": "位置：{lat}, {lon}",
    "citizen.locate": "使用我的位置", "citizen.locate_failed": "无法获取定位",
    "citizen.description": "问题描述", "citizen.photo": "照片（可选）",
    "citizen.contact": "联系方式（可选，仅指挥中心可见）", "citizen.name": "称呼",
    "citizen.phone": "电话", "citizen.submit": "提交", "citizen.sending": "正在提交…",
    "citizen.need_place": "请先在地图上选择位置", "citizen.thanks": "已收到，谢谢您！",
    "citizen.your_number": "受理编号", "citizen.your_token": "查询码（请保存）",
    "citizen.follow_link": "查看办理进度", "citizen.token": "查询码", "citizen.look_up": "查询",
    "citizen.status": "状态", "citizen.status.open": "办理中", "citizen.status.closed": "已办结",
    "citizen.agency": "承办单位", "citizen.expected": "预计办结", "citizen.rate": "对办理结果评价",
    "citizen.rate_note": "说点什么（可选）", "citizen.rate_submit": "提交评价",
    "citizen.rated": "您的评价：{score} 分，谢谢！", "citizen.not_found": "没有找到这个查询码",
    "citizen.failed": "提交失败：{message}", "citizen.choose": "请选择",
    "citizen.street": "所在街道",
  },
  en: {
    "citizen.title": "Report a problem", "citizen.tab_report": "Report",
    "citizen.tab_follow": "Follow", "citizen.item": "What is wrong",
    "citizen.place_hint": "Tap the map where the problem is, or use the phone's location.",
    "citizen.no_place": "No place chosen yet", "citizen.place": "Place: {lat}, {lon}",
    "citizen.locate": "Use my location", "citizen.locate_failed": "Location unavailable",
    "citizen.description": "Description", "citizen.photo": "Photo (optional)",
    "citizen.contact": "Contact (optional, seen by the command centre only)",
    "citizen.name": "Name", "citizen.phone": "Phone", "citizen.submit": "Send",
    "citizen.sending": "Sending…", "citizen.need_place": "Choose the place on the map first",
    "citizen.thanks": "Received, thank you!", "citizen.your_number": "Request number",
    "citizen.your_token": "Follow-up code (keep it)", "citizen.follow_link": "Follow it",
    "citizen.token": "Follow-up code", "citizen.look_up": "Look up", "citizen.status": "Status",
    "citizen.status.open": "being handled", "citizen.status.closed": "closed",
    "citizen.agency": "Handled by", "citizen.expected": "Expected by",
    "citizen.rate": "Rate how it was handled", "citizen.rate_note": "A note (optional)",
    "citizen.rate_submit": "Send rating", "citizen.rated": "Your rating: {score}, thank you!",
    "citizen.not_found": "No request has this code", "citizen.failed": "Could not send: {message}",
    "citizen.choose": "Choose",
    "citizen.street": "Street",
  },
});

const $ = (id) => document.getElementById(id);
let config = null;
let place = null;
let map = null;
let services = [];
let shown = null; // {token, request}

// Serving several streets, every call names the page's street (its jurisdiction) but a
// token's, which is found wherever it was issued.
function several() {
  return (config.streets || []).length > 1;
}

function v2(path, jurisdiction = config.street.code) {
  const sep = path.includes("?") ? "&" : "?";
  const where = several() && jurisdiction
    ? `&jurisdiction_id=${encodeURIComponent(jurisdiction)}` : "";
  return `${config.open311}${path}${sep}lang=${lang()}${where}`;
}

async function getJson(path, jurisdiction) {
  const response = await fetch(v2(path, jurisdiction));
  const body = await response.json();
  if (!response.ok) throw new Error(body[0] ? body[0].description : response.statusText);
  return body;
}

function savedTokens() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY) || "[]");
  } catch {
    return [];
  }
}

function remember(token, id) {
  const list = [{ token, id }, ...savedTokens().filter((x) => x.token !== token)];
  try {
    localStorage.setItem(TOKENS_KEY, JSON.stringify(list.slice(0, MAX_TOKENS)));
  } catch {
    // private mode: the code is on the screen to note down
  }
}

function showView(name) {
  $("report-view").hidden = name !== "report";
  $("follow-view").hidden = name !== "follow";
  for (const b of document.querySelectorAll(".citizen-tabs button")) {
    b.setAttribute("aria-pressed", String(b.dataset.view === name));
  }
  if (name === "follow") renderMine();
}

// --- reporting ---------------------------------------------------------------------------

function setPlace(lon, lat) {
  place = { lon: Number(lon.toFixed(DECIMALS)), lat: Number(lat.toFixed(DECIMALS)) };
  map.setMarker(place);
  $("report-place").textContent = t("citizen.place", { lat: place.lat, lon: place.lon });
  $("report-place").dataset.placed = "true";
}

function renderServices() {
  const select = $("report-service");
  const current = select.value;
  select.replaceChildren(h("option", { value: "" }, t("citizen.choose")),
    ...services.map((s) => h("option", { value: s.service_code },
      `${s.group ? s.group + " · " : ""}${s.service_name}`)));
  select.value = current;
}

async function renderAttributes() {
  const box = $("report-attributes");
  box.replaceChildren();
  const chosen = services.find((s) => s.service_code === $("report-service").value);
  if (!chosen || !chosen.metadata) return;
  const definition = await getJson(`/services/${chosen.service_code}.json`);
  for (const a of definition.attributes) {
    const name = `attribute[${a.code}]${a.datatype === "multivaluelist" ? "[]" : ""}`;
    let input;
    if (a.values && a.values.length) {
      input = h("select", { name, required: a.required || null,
        multiple: a.datatype === "multivaluelist" || null },
      ...(a.datatype === "multivaluelist" ? [] : [h("option", { value: "" }, t("citizen.choose"))]),
      ...a.values.map((v) => h("option", { value: v.key }, v.name)));
    } else {
      input = h(a.datatype === "text" ? "textarea" : "input", { name,
        required: a.required || null, type: a.datatype === "number" ? "number" : null });
    }
    box.append(h("label", null, h("span", null, a.description), input));
  }
}

async function submit(event) {
  event.preventDefault();
  const message = $("report-message");
  message.hidden = true;
  if (!place) {
    message.textContent = t("citizen.need_place");
    message.hidden = false;
    return;
  }
  const form = new FormData($("report-form"));
  form.set("api_key", config.api_key);
  if (several()) form.set("jurisdiction_id", config.street.code);
  form.set("lat", String(place.lat));
  form.set("long", String(place.lon));
  for (const key of [...form.keys()]) {
    const value = form.get(key);
    if (value instanceof File && !value.size) form.delete(key);
    else if (typeof value === "string" && !value.trim()) form.delete(key);
  }
  for (const key of [...form.keys()].filter((k) => k.endsWith("[]"))) {
    const values = form.getAll(key);
    form.delete(key);
    for (const value of values) form.append(key.slice(0, -2), value);
  }
  const button = $("report-submit");
  button.disabled = true;
  button.textContent = t("citizen.sending");
  try {
    const response = await fetch(v2("/requests.json"), { method: "POST", body: form });
    const body = await response.json();
    if (!response.ok) throw new Error(body[0] ? body[0].description : response.statusText);
    const [created] = body;
    remember(created.token, created.service_request_id);
    $("done-id").textContent = created.service_request_id;
    $("done-token").textContent = created.token;
    $("done-link").href = `/report?token=${encodeURIComponent(created.token)}`;
    $("report-form").hidden = true;
    $("report-done").hidden = false;
  } catch (exc) {
    message.textContent = t("citizen.failed", { message: exc.message });
    message.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = t("citizen.submit");
  }
}

// --- following -----------------------------------------------------------------------------

function renderMine() {
  const list = $("follow-mine");
  list.replaceChildren(...savedTokens().map(({ token, id }) => h("li", null,
    h("a", { href: `/report?token=${encodeURIComponent(token)}` }, id || token))));
}

function renderRequest() {
  if (!shown) return;
  const r = shown.request;
  $("follow-request").hidden = false;
  $("request-service").textContent = r.service_name || r.service_code;
  $("request-id").textContent = r.service_request_id;
  const status = $("request-status");
  status.dataset.status = r.status;
  status.textContent = t(`citizen.status.${r.status}`);
  $("request-notes").textContent = r.status_notes || "";
  $("request-agency").textContent = r.agency_responsible || "—";
  $("request-expected").textContent = r.expected_datetime
    ? new Date(r.expected_datetime).toLocaleString() : "—";
  $("request-description").textContent = r.description || "";
  const photo = $("request-photo");
  photo.hidden = !r.media_url;
  if (r.media_url) photo.src = r.media_url;
  const rated = r.rating !== null && r.rating !== undefined;
  $("rating-form").hidden = r.status !== "closed" || rated;
  $("request-rating").hidden = !rated;
  if (rated) $("request-rating").textContent = t("citizen.rated", { score: r.rating });
}

async function follow(token) {
  const message = $("follow-message");
  message.hidden = true;
  $("follow-token").value = token;
  try {
    const [found] = await getJson(`/tokens/${encodeURIComponent(token)}.json`, null);
    const jurisdiction = found.jurisdiction_id || config.street.code;
    const [request] = await getJson(
      `/requests/${encodeURIComponent(found.service_request_id)}.json`, jurisdiction);
    shown = { token, request, jurisdiction };
    remember(token, request.service_request_id);
    renderRequest();
  } catch {
    shown = null;
    $("follow-request").hidden = true;
    message.textContent = t("citizen.not_found");
    message.hidden = false;
  }
}

async function rate(event) {
  event.preventDefault();
  if (!shown) return;
  const form = new FormData($("rating-form"));
  const response = await fetch(
    v2(`/tokens/${encodeURIComponent(shown.token)}/rating.json`, shown.jurisdiction),
    { method: "POST", body: new URLSearchParams(form) });
  const body = await response.json();
  if (!response.ok) {
    $("follow-message").textContent = t("citizen.failed", {
      message: body[0] ? body[0].description : response.statusText });
    $("follow-message").hidden = false;
    return;
  }
  shown.request = body[0];
  renderRequest();
}

// --- start -----------------------------------------------------------------------------------

async function loadConfig(params) {
  const chosen = params.get("street") || params.get("jurisdiction_id");
  if (chosen) {
    const response = await fetch(`/report/config.json?street=${encodeURIComponent(chosen)}`);
    if (response.ok) return response.json();
  }
  return (await fetch("/report/config.json")).json(); // no such street: the home street's
}

function renderStreets() {
  const box = $("street-choice");
  box.hidden = !several();
  if (!several()) return;
  const name = (s) => (lang() === "en" && s.name_en) || s.name || s.code;
  box.replaceChildren(h("span", null, t("citizen.street")), ...config.streets.map((s) => h("a", {
    href: `/report?street=${encodeURIComponent(s.code)}`, "data-street": s.code,
    "aria-current": s.code === config.street.code ? "page" : null }, name(s))));
}

async function start() {
  translate();
  for (const b of document.querySelectorAll(".lang-toggle")) b.addEventListener("click", toggleLang);
  for (const b of document.querySelectorAll(".citizen-tabs button")) {
    b.addEventListener("click", () => showView(b.dataset.view));
  }
  config = await loadConfig(new URLSearchParams(location.search));
  renderStreets();
  map = createGridMap($("report-map"), config.grids.features,
    { onPick: (lon, lat) => setPlace(lon, lat), label: t("citizen.place_hint") });
  services = await getJson("/services.json");
  renderServices();
  $("report-service").addEventListener("change", () => renderAttributes());
  $("report-form").addEventListener("submit", submit);
  $("follow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    follow($("follow-token").value.trim());
  });
  $("rating-form").addEventListener("submit", rate);
  $("report-locate").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (p) => setPlace(p.coords.longitude, p.coords.latitude),
      () => { $("report-place").textContent = t("citizen.locate_failed"); });
  });
  onLangChange(async () => {
    translate();
    renderStreets();
    services = await getJson("/services.json");
    renderServices();
    if (shown) await follow(shown.token);
    if (place) setPlace(place.lon, place.lat);
  });
  const token = new URLSearchParams(location.search).get("token");
  if (token) {
    showView("follow");
    await follow(token);
  }
  document.body.dataset.ready = "true";
}

start().catch((exc) => {
  console.warn("citizen page:", exc);
  document.body.dataset.ready = "error";
});
