// People as the pages show them: by name (a case's detail carries ``people``: user name ->
// name), the server's own steps (routing, timers) as 系统, a login only when no name is known.

import { t } from "./i18n.js";

/** Who the server's own steps are by. */
const SYSTEM_ACTOR = "system";

/** A person case ``c`` names, by their name. */
export function personName(c, username) {
  if (!username) return "";
  if (username === SYSTEM_ACTOR) return t("case.by_system");
  return (c.people && c.people[username]) || username;
}
