/* global document, window, FormData */
// Marquee's operations console: small ES modules, no framework, no build step, one per view.
// Data comes from bff-ops' JSON API on this origin, for operators only (403 for anyone else).
import { $, api, csrfToken, guarded, notify, onSignedOut } from "./api.js";
import { showAudit } from "./audit.js";
import { showDeadLetters } from "./dead-letters.js";
import { showOrder } from "./order.js";
import { showOverview, stopOverview } from "./overview.js";
import { showProjections } from "./projections.js";
import { showSagas } from "./sagas.js";

const VIEWS = {
  overview: showOverview,
  sagas: showSagas,
  "dead-letters": showDeadLetters,
  projections: showProjections,
  audit: showAudit,
  order: showOrder,
};

const state = { signedIn: false };

function showSignedOut() {
  state.signedIn = false;
  stopOverview();
  $("console-nav").hidden = true;
  $("account").hidden = true;
  for (const view of document.querySelectorAll(".view")) view.hidden = true;
  $("login").hidden = false;
}

function showSignedIn(operator) {
  state.signedIn = true;
  $("login").hidden = true;
  $("console-nav").hidden = false;
  $("account").hidden = false;
  $("whoami").textContent = `Signed in as ${operator.displayName || operator.email || "an operator"}`;
  return route();
}

/** Shows the view the address names (#sagas, #order/<id>, …; default: the overview). */
async function route() {
  if (!state.signedIn) return;
  const [name, ...rest] = window.location.hash.slice(1).split("/");
  const view = VIEWS[name] ? name : "overview";
  if (view !== "overview") stopOverview();
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== view;
  for (const link of document.querySelectorAll("#console-nav a")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  await guarded(() => VIEWS[view](rest.join("/")));
}

onSignedOut(showSignedOut);
window.addEventListener("hashchange", () => void route());

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void guarded(async () => {
    const answer = await api("/api/session", {
      method: "POST",
      body: { email: form.get("email"), password: form.get("password") },
    });
    event.target.reset();
    await showSignedIn(answer.operator);
  });
});

$("log-out").addEventListener("click", () =>
  guarded(async () => {
    await api("/api/session", { method: "DELETE" });
    showSignedOut();
    notify("Logged out.");
  }),
);

// Who is signed in (the session cookie is httpOnly): the console, or the log-in form. The
// readable CSRF cookie lives as long as the session: without it there is no session to ask about.
void (async () => {
  if (!csrfToken()) {
    showSignedOut();
    return;
  }
  try {
    const me = await api("/api/me");
    await showSignedIn(me.operator);
  } catch (error) {
    showSignedOut();
    if (error.status === 403) notify(error.message);
  }
})();
