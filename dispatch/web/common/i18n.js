// One table for every user-facing text, Chinese first, English switchable.
// t("key", {name: value}) fills {name} placeholders; a missing key falls back to Chinese,
// then to the key itself. Elements carrying data-i18n="key" (text), data-i18n-placeholder,
// data-i18n-title or data-i18n-aria-label are filled by translate(root).

const STORAGE_KEY = "dispatch.lang";
export const LANGS = Object.freeze(["zh", "en"]);
const DEFAULT_LANG = "zh";
const HTML_LANG = { zh: "zh-CN", en: "en" };

const TABLE = {
  zh: {
    "app.title": "网格化指挥调度中心",
    "app.loading": "正在加载…",
    "lang.switch": "English",
    "lang.switch_title": "切换语言",

    "login.title": "登录指挥调度大屏",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "login.busy": "正在登录…",
    "login.failed": "用户名或密码错误",
    "login.rate_limited": "尝试次数过多，请稍后再试",
    "login.error": "登录失败：{message}",
    "login.forbidden": "账号 {user}（{role}）无权查看指挥大屏。请用大屏、调度员、考核员、部门负责人或管理员账号登录。",
    "login.expired": "登录已失效，请重新登录",
    "header.logout": "退出",
    "header.user": "{name}（{role}）",
    "case.by_system": "系统",

    "role.grid_worker": "网格员",
    "role.disposal_member": "处置人员",
    "role.dept_lead": "部门负责人",
    "role.dispatcher": "调度员",
    "role.assessor": "考核员",
    "role.screen": "大屏",
    "role.admin": "管理员",

    "dept.centre": "指挥调度中心",
    "window.am": "上午巡查",
    "window.pm": "下午巡查",
    "window.night": "夜间巡查",

    "conn.connecting": "连接中",
    "conn.open": "实时",
    "conn.waiting": "{seconds} 秒后重连",
    "conn.closed": "已断开",

    "fig.reported": "今日上报",
    "fig.closed": "今日结案",
    "fig.closure_rate": "结案率",
    "fig.on_time_rate": "按期结案率",
    "fig.overdue": "超期案件",
    "fig.patrols_done": "完成巡查",
    "fig.patrols_missed": "漏巡",
    "fig.workers_online": "在线网格员",

    "map.title": "街道网格图",
    "map.shade": "网格着色",
    "map.shade.cases": "按案件",
    "map.shade.patrol": "按巡查",
    "map.grids": "{count} 个网格",
    "map.no_grids": "未能加载网格：{message}",
    "legend.workers": "网格员",
    "legend.cases": "案件",
    "legend.shade.cases": "网格内在办案件",
    "legend.shade.patrol": "网格员状态",
    "legend.cases.0": "无",
    "legend.cases.1": "1 件",
    "legend.cases.2": "2 件",
    "legend.cases.3": "3 件及以上",

    "worker.state.patrolling": "巡查中",
    "worker.state.idle": "待命",
    "worker.state.out_of_grid": "出格",
    "worker.state.signal_lost": "信号丢失",
    "worker.state.offline": "离线",
    "worker.state.unknown": "未知",

    "cases.title": "在办案件",
    "cases.empty": "暂无在办案件",
    "cases.all": "全部",
    "cases.sort": "按剩余时间排序",
    "cases.col.case": "案件",
    "cases.col.grid": "网格",
    "cases.col.dept": "部门",
    "cases.col.state": "状态",
    "cases.col.left": "剩余时间",
    "light.green": "绿灯",
    "light.yellow": "黄灯",
    "light.red": "红灯",
    "light.none": "无时限",

    "time.days": "{days}天 {clock}",
    "time.overdue": "超时 {duration}",
    "time.paused": "已挂账",
    "time.none": "—",
    "time.ago_s": "{n} 秒前",
    "time.ago_min": "{n} 分钟前",
    "time.ago_h": "{n} 小时前",
    "time.ago_d": "{n} 天前",

    "state.reported": "已上报",
    "state.dispatched": "已派遣",
    "state.accepted": "处置中",
    "state.resolved": "待核查",
    "state.closed": "已结案",
    "state.triage": "待分拨",
    "state.reopened": "返工",
    "state.suspended": "挂账",
    "state.duplicate": "重复",
    "state.cancelled": "已撤销",

    "action.report": "上报",
    "action.route": "自动分拨",
    "action.accept": "受理",
    "action.reject": "回退",
    "action.progress": "进展",
    "action.resolve": "办结",
    "action.verify": "核查",
    "action.reassign": "改派",
    "action.extend": "申请延期",
    "action.approve_extension": "审批延期",
    "action.suspend": "挂账",
    "action.resume": "恢复办理",
    "action.rate": "评议",
    "action.cancel": "撤销",
    "action.duplicate": "判为重复",
    "action.duplicate_reported": "重复上报",
    "action.light": "临期提醒",
    "action.overdue": "超期",
    "action.escalated": "督办升级",

    "card.close": "关闭",
    "card.loading": "加载中…",
    "case.category": "类别",
    "case.grid": "网格",
    "case.state": "状态",
    "case.department": "处置部门",
    "case.assignee": "处置人",
    "case.reporter": "上报人",
    "case.created": "上报时间",
    "case.deadline": "办理时限",
    "case.left": "剩余时间",
    "case.severity": "紧急程度",
    "case.description": "描述",
    "severity.low": "一般",
    "severity.normal": "普通",
    "severity.high": "紧急",
    "severity.critical": "特急",
    "case.timeline": "处置过程",
    "case.photos": "照片",
    "case.photo_alt": "案件照片 {id}",
    "case.detail_unavailable": "无法加载案件详情：{message}",
    "case.col.when": "时间",
    "case.col.who": "操作人",
    "case.col.action": "动作",
    "case.col.states": "状态变化",
    "case.col.note": "备注",
    "case.triage": "分拨至部门",
    "case.reassign": "改派至部门",
    "case.choose_department": "选择部门",
    "case.submit_triage": "分拨",
    "case.submit_reassign": "改派",
    "case.extension": "延期申请：{hours} 小时。理由：{reason}",
    "case.approve": "批准延期",
    "case.refuse": "驳回",
    "case.done": "已提交",
    "case.failed": "操作失败：{message}",

    "worker.name": "姓名",
    "worker.username": "账号",
    "worker.grid": "网格",
    "worker.station": "网格站",
    "worker.state": "状态",
    "worker.battery": "电量",
    "worker.fix": "最后定位",
    "worker.at_grid": "当前在 {grid} 网格",
    "worker.track": "今日轨迹",
    "worker.track_points": "{count} 个定位点",
    "worker.no_track": "今日暂无轨迹",
    "worker.track_error": "轨迹不可用：{message}",

    "alerts.title": "实时告警",
    "alerts.empty": "暂无告警",
    "alert.cleared": "已解除",
    "alert.kind.out_of_grid": "离开责任网格",
    "alert.kind.back_in_grid": "回到责任网格",
    "alert.kind.signal_lost": "信号丢失",
    "alert.kind.offline": "设备离线",
    "alert.kind.stationary": "长时间静止",
    "alert.kind.low_battery": "电量低",
    "alert.kind.sos": "紧急求助",
    "alert.kind.patrol_missed": "漏巡",
    "alert.kind.missed_patrol": "漏巡",
    "alert.at_grid": "当前在 {grid} 网格",
    "alert.window": "巡查时段 {window}",
    "alert.kind.patrol_incomplete": "巡查未完成",
    "alert.kind.case_warning": "案件临期",
    "alert.kind.case_overdue": "案件超期",
    "alert.kind.case_escalated": "督办升级",

    "error.network": "网络不可用",
    "error.http": "服务器返回 {status}",
  },
  en: {
    "app.title": "Grid Command and Dispatch Centre",
    "app.loading": "Loading…",
    "lang.switch": "中文",
    "lang.switch_title": "Switch language",

    "login.title": "Sign in to the command screen",
    "login.username": "User name",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.busy": "Signing in…",
    "login.failed": "Wrong user name or password",
    "login.rate_limited": "Too many attempts, try again later",
    "login.error": "Sign-in failed: {message}",
    "login.forbidden": "{user} ({role}) may not watch the command screen. Sign in as a screen, dispatcher, assessor, department lead or admin.",
    "login.expired": "Your session has expired, please sign in again",
    "header.logout": "Sign out",
    "header.user": "{name} ({role})",
    "case.by_system": "System",

    "role.grid_worker": "grid worker",
    "role.disposal_member": "disposal member",
    "role.dept_lead": "department lead",
    "role.dispatcher": "dispatcher",
    "role.assessor": "assessor",
    "role.screen": "screen",
    "role.admin": "admin",

    "dept.centre": "Command centre",
    "window.am": "Morning patrol",
    "window.pm": "Afternoon patrol",
    "window.night": "Night patrol",

    "conn.connecting": "Connecting",
    "conn.open": "Live",
    "conn.waiting": "Reconnecting in {seconds}s",
    "conn.closed": "Disconnected",

    "fig.reported": "Reported today",
    "fig.closed": "Closed today",
    "fig.closure_rate": "Closure rate",
    "fig.on_time_rate": "On-time rate",
    "fig.overdue": "Overdue",
    "fig.patrols_done": "Patrols done",
    "fig.patrols_missed": "Patrols missed",
    "fig.workers_online": "Workers online",

    "map.title": "Street grid map",
    "map.shade": "Grid shading",
    "map.shade.cases": "By cases",
    "map.shade.patrol": "By patrol",
    "map.grids": "{count} grids",
    "map.no_grids": "Could not load the grids: {message}",
    "legend.workers": "Grid workers",
    "legend.cases": "Cases",
    "legend.shade.cases": "Open cases in the grid",
    "legend.shade.patrol": "Grid worker state",
    "legend.cases.0": "None",
    "legend.cases.1": "1 case",
    "legend.cases.2": "2 cases",
    "legend.cases.3": "3 or more",

    "worker.state.patrolling": "Patrolling",
    "worker.state.idle": "Idle",
    "worker.state.out_of_grid": "Out of grid",
    "worker.state.signal_lost": "Signal lost",
    "worker.state.offline": "Offline",
    "worker.state.unknown": "Unknown",

    "cases.title": "Open cases",
    "cases.empty": "No open cases",
    "cases.all": "All",
    "cases.sort": "Sort by time left",
    "cases.col.case": "Case",
    "cases.col.grid": "Grid",
    "cases.col.dept": "Department",
    "cases.col.state": "State",
    "cases.col.left": "Time left",
    "light.green": "Green",
    "light.yellow": "Yellow",
    "light.red": "Red",
    "light.none": "No limit",

    "time.days": "{days}d {clock}",
    "time.overdue": "Overdue {duration}",
    "time.paused": "Paused",
    "time.none": "—",
    "time.ago_s": "{n} s ago",
    "time.ago_min": "{n} min ago",
    "time.ago_h": "{n} h ago",
    "time.ago_d": "{n} d ago",

    "state.reported": "Reported",
    "state.dispatched": "Dispatched",
    "state.accepted": "In hand",
    "state.resolved": "To verify",
    "state.closed": "Closed",
    "state.triage": "Triage",
    "state.reopened": "Reopened",
    "state.suspended": "Suspended",
    "state.duplicate": "Duplicate",
    "state.cancelled": "Cancelled",

    "action.report": "Reported",
    "action.route": "Routed",
    "action.accept": "Accepted",
    "action.reject": "Returned",
    "action.progress": "Progress",
    "action.resolve": "Resolved",
    "action.verify": "Verified",
    "action.reassign": "Reassigned",
    "action.extend": "Extension requested",
    "action.approve_extension": "Extension decided",
    "action.suspend": "Suspended",
    "action.resume": "Resumed",
    "action.rate": "Rated",
    "action.cancel": "Cancelled",
    "action.duplicate": "Marked duplicate",
    "action.duplicate_reported": "Reported again",
    "action.light": "Deadline near",
    "action.overdue": "Overdue",
    "action.escalated": "Escalated",

    "card.close": "Close",
    "card.loading": "Loading…",
    "case.category": "Category",
    "case.grid": "Grid",
    "case.state": "State",
    "case.department": "Department",
    "case.assignee": "Handler",
    "case.reporter": "Reporter",
    "case.created": "Reported at",
    "case.deadline": "Deadline",
    "case.left": "Time left",
    "case.severity": "Severity",
    "case.description": "Description",
    "severity.low": "Low",
    "severity.normal": "Normal",
    "severity.high": "High",
    "severity.critical": "Critical",
    "case.timeline": "Timeline",
    "case.photos": "Photos",
    "case.photo_alt": "Case photo {id}",
    "case.detail_unavailable": "Could not load the case: {message}",
    "case.col.when": "When",
    "case.col.who": "Who",
    "case.col.action": "Action",
    "case.col.states": "From → to",
    "case.col.note": "Note",
    "case.triage": "Send to department",
    "case.reassign": "Reassign to department",
    "case.choose_department": "Choose a department",
    "case.submit_triage": "Send",
    "case.submit_reassign": "Reassign",
    "case.extension": "Extension requested: {hours} h. Reason: {reason}",
    "case.approve": "Approve extension",
    "case.refuse": "Refuse",
    "case.done": "Done",
    "case.failed": "Action failed: {message}",

    "worker.name": "Name",
    "worker.username": "User",
    "worker.grid": "Grid",
    "worker.station": "Station",
    "worker.state": "State",
    "worker.battery": "Battery",
    "worker.fix": "Last fix",
    "worker.at_grid": "now in grid {grid}",
    "worker.track": "Today's track",
    "worker.track_points": "{count} fixes",
    "worker.no_track": "No track today",
    "worker.track_error": "Track unavailable: {message}",

    "alerts.title": "Alerts",
    "alerts.empty": "No alerts",
    "alert.cleared": "Cleared",
    "alert.kind.out_of_grid": "Left their grid",
    "alert.kind.back_in_grid": "Back in their grid",
    "alert.kind.signal_lost": "Signal lost",
    "alert.kind.offline": "Device offline",
    "alert.kind.stationary": "Not moving",
    "alert.kind.low_battery": "Low battery",
    "alert.kind.sos": "SOS",
    "alert.kind.patrol_missed": "Patrol missed",
    "alert.kind.missed_patrol": "Patrol missed",
    "alert.at_grid": "now in grid {grid}",
    "alert.window": "patrol window {window}",
    "alert.kind.patrol_incomplete": "Patrol incomplete",
    "alert.kind.case_warning": "Case deadline near",
    "alert.kind.case_overdue": "Case overdue",
    "alert.kind.case_escalated": "Case escalated",

    "error.network": "Network unavailable",
    "error.http": "The server answered {status}",
  },
};

/**
 * Add texts of another page ({zh: {...}, en: {...}}) to the table; keys already in it are
 * kept as they are (a page adds words, it does not change the shared ones).
 */
export function addTexts(texts) {
  for (const code of LANGS) {
    for (const [key, text] of Object.entries(texts[code] || {})) {
      if (!(key in TABLE[code])) TABLE[code][key] = text;
    }
  }
}

function stored() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(saved) ? saved : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

let current = stored();
const listeners = new Set();

export function lang() {
  return current;
}

/** Whether the table has ``key`` (for values the server names, such as a state). */
export function has(key) {
  return key in TABLE[current] || key in TABLE[DEFAULT_LANG];
}

export function t(key, vars = {}) {
  const text = TABLE[current][key] ?? TABLE[DEFAULT_LANG][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** ``t(prefix + value)`` when the table knows it, else the value itself (or a dash). */
export function label(prefix, value) {
  if (value === null || value === undefined || value === "") return t("time.none");
  const key = prefix + value;
  return has(key) ? t(key) : String(value);
}

/** The name of an object that has ``name`` and ``name_en`` in the current language. */
export function localName(obj, fallback = "") {
  if (!obj) return fallback;
  if (current === "en" && obj.name_en) return obj.name_en;
  return obj.name || obj.name_en || fallback;
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // storage may be unavailable (private mode): the choice lasts for this page only
  }
  document.documentElement.lang = HTML_LANG[next];
  for (const fn of listeners) fn(next);
}

export function toggleLang() {
  setLang(LANGS[(LANGS.indexOf(current) + 1) % LANGS.length]);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const ATTRIBUTES = [
  ["i18nPlaceholder", "placeholder"],
  ["i18nTitle", "title"],
  ["i18nAriaLabel", "aria-label"],
];

/** Fill the static texts under ``root`` from their data-i18n* attributes. */
export function translate(root = document) {
  document.documentElement.lang = HTML_LANG[current];
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [data, attr] of ATTRIBUTES) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}]`;
    for (const el of root.querySelectorAll(selector)) el.setAttribute(attr, t(el.dataset[data]));
  }
}
