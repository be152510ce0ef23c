// The tracking setup page: this server's address and the signed-in user's name filled in.

import { loadSession } from "../common/api.js";
import { SESSION_KEY } from "./session.js";

const session = loadSession(SESSION_KEY);
for (const el of document.querySelectorAll(".origin")) el.textContent = location.origin;
if (session && session.user) {
  for (const el of document.querySelectorAll(".username")) el.textContent = session.user.username;
}
