/* global document, window, fetch, EventSource, FormData, URLSearchParams, crypto */
// Marquee's page: a small ES module, no framework, no build step. Data comes from bff-web's JSON
// API on this origin; the session is httpOnly cookies the page never sees (the server renews it
// when its access token expires). Writes echo the readable CSRF cookie in X-CSRF-Token. Text
// from the API is only ever set as textContent.

const $ = (id) => document.getElementById(id);
const STATUS_LABELS = {
  PENDING: "Pending…",
  CONFIRMED: "Confirmed",
  REJECTED: "Rejected",
  CANCELLED: "Cancelled",
  COMPLETED: "Completed",
};
const SETTLED = new Set(["CONFIRMED", "REJECTED", "CANCELLED", "COMPLETED"]);

const state = { me: null, nextCursor: null, show: null, orderStream: null };

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("mq_csrf="));
  return found ? decodeURIComponent(found.slice("mq_csrf=".length)) : "";
}

class ApiError extends Error {
  constructor(problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.description}`).join("; ");
    super(fields ? `${problem.detail} (${fields})` : (problem.detail ?? problem.title ?? "request failed"));
    this.status = problem.status;
  }
}

// A request that raced another one renewing the session (on another server) is told to retry:
// the other answer has brought the renewed cookies by then.
const SESSION_RENEWED_CONCURRENTLY = "SESSION_RENEWED_CONCURRENTLY";

async function api(path, options = {}, retried = false) {
  const { method = "GET", body, headers = {} } = options;
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && data.reason === SESSION_RENEWED_CONCURRENTLY && !retried) {
    await new Promise((resolve) => window.setTimeout(resolve, 200));
    return api(path, options, true);
  }
  if (!response.ok) throw new ApiError({ status: response.status, ...data });
  return data;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function money(value) {
  if (!value) return "—";
  const currency = value.currency || "EUR";
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value.amountMinor / 100);
}

function notify(message) {
  $("notice").textContent = message;
}

async function guarded(action) {
  try {
    notify("");
    await action();
  } catch (error) {
    notify(error.message);
    if (error.status === 401) await showSignedOut();
  }
}

// --- session ---------------------------------------------------------------------------------

async function loadMe() {
  // The readable CSRF cookie lives as long as the session (its refresh token): none, no session to ask about.
  // With one, /api/me answers even after the access token expired: the server renews the session.
  if (!csrfToken()) {
    await showSignedOut();
    return;
  }
  try {
    state.me = await api("/api/me");
  } catch (error) {
    if (error.status !== 401) throw error;
    state.me = null;
  }
  if (state.me) await showSignedIn();
  else await showSignedOut();
}

async function showSignedIn() {
  $("auth").hidden = true;
  $("account").hidden = false;
  $("whoami").textContent = `Signed in as ${state.me.user.displayName}`;
  $("buy-form").hidden = state.show === null;
  await refreshBalance();
}

async function showSignedOut() {
  state.me = null;
  $("auth").hidden = false;
  $("account").hidden = true;
  $("buy-form").hidden = true;
}

// Balance answers can arrive out of order (a read started before a top-up may answer after it):
// an answer is shown only when no answer to a later request is on screen already.
const balanceRequests = { started: 0, shown: 0 };

async function showBalance(readBalance) {
  const request = ++balanceRequests.started;
  const balance = await readBalance();
  if (request < balanceRequests.shown) return;
  balanceRequests.shown = request;
  $("balance").textContent = money(balance);
}

function refreshBalance() {
  return showBalance(async () => (await api("/api/wallet?pageSize=1")).balance);
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

$("signup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(async () => {
    await api("/api/users", { method: "POST", body: formValues(event.target) });
    await loadMe();
    notify("Welcome! Top up your wallet, then pick a show.");
  });
});

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(async () => {
    await api("/api/session", { method: "POST", body: formValues(event.target) });
    await loadMe();
  });
});

$("log-out").addEventListener("click", () =>
  guarded(async () => {
    await api("/api/session", { method: "DELETE" });
    await showSignedOut();
  }),
);

$("top-up").addEventListener("click", () =>
  guarded(async () => {
    const deposit = {
      method: "POST",
      body: { amountMinor: 5000, currency: "EUR" },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    };
    await showBalance(async () => (await api("/api/wallet/deposits", deposit)).balance);
    notify("Topped up €50.");
  }),
);

// --- shows -----------------------------------------------------------------------------------

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function available(show) {
  if (!show.availability) return "availability unknown right now";
  const left = show.availability.reduce((sum, tier) => sum + tier.available, 0);
  return left > 0 ? `${left} tickets left` : "sold out";
}

async function loadShows(append) {
  const query = new URLSearchParams({ pageSize: "12" });
  if (append && state.nextCursor) query.set("cursor", state.nextCursor);
  const page = await api(`/api/home?${query}`);
  if (!append) $("show-list").replaceChildren();
  for (const show of page.shows) {
    const open = el("button", { type: "button" }, `Open ${show.title}`);
    open.addEventListener("click", () => guarded(() => openShow(show.showId)));
    const summary = `${when(show.startsAt)} · ${show.venue.name}, ${show.venue.city} · ${available(show)}`;
    $("show-list").append(el("li", {}, el("strong", {}, show.title), " ", el("span", {}, summary), " ", open));
  }
  if (page.shows.length === 0 && !append) $("show-list").append(el("li", {}, "No upcoming shows yet."));
  state.nextCursor = page.nextCursor;
  $("more-shows").hidden = !page.nextCursor;
}

$("more-shows").addEventListener("click", () => guarded(() => loadShows(true)));

async function openShow(showId) {
  const page = await api(`/api/shows/${encodeURIComponent(showId)}`);
  $("shows").hidden = true;
  $("show").hidden = false;
  $("progress").hidden = true;
  renderShow(page);
}

/** The composed show page: the show, its organizer, live stock per tier, my tickets. */
function renderShow(page) {
  state.show = page;
  const { show } = page;
  $("show-title").textContent = show.title;
  const organizer = page.organization ? ` · by ${page.organization.name}` : "";
  $("show-meta").textContent = `${when(show.startsAt)} · ${show.venue.name}, ${show.venue.city}${organizer}`;
  $("show-description").textContent = show.description;
  $("show-degraded").hidden = page.degraded.length === 0;
  $("show-degraded").textContent = `Some details are unavailable right now: ${page.degraded.join(", ")}.`;

  const stock = new Map((page.availability ?? []).map((tier) => [tier.tierId, tier]));
  const chosen = $("buy-tier").value;
  $("tiers").replaceChildren();
  $("buy-tier").replaceChildren();
  for (const tier of show.tiers) {
    const live = stock.get(tier.tierId);
    const left = live ? String(live.available) : "—";
    $("tiers").append(
      el("tr", {}, el("th", { scope: "row" }, tier.name), el("td", {}, money(tier.price)), el("td", {}, left)),
    );
    $("buy-tier").append(el("option", { value: tier.tierId }, `${tier.name} (${money(tier.price)})`));
  }
  if (chosen) $("buy-tier").value = chosen;
  $("buy-form").hidden = state.me === null;
  renderMyTickets(page.myTickets);
}

function renderMyTickets(tickets) {
  $("my-tickets-section").hidden = !tickets || tickets.length === 0;
  $("my-tickets").replaceChildren(...(tickets ?? []).map((t) => el("li", {}, el("code", {}, t.ticketCode))));
}

$("back").addEventListener("click", () =>
  guarded(async () => {
    state.show = null;
    $("show").hidden = true;
    $("shows").hidden = false;
    await loadShows(false);
  }),
);

// --- buying ----------------------------------------------------------------------------------

$("buy-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(async () => {
    const values = formValues(event.target);
    const { order } = await api("/api/orders", {
      method: "POST",
      body: { showId: state.show.show.showId, tierId: values.tierId, quantity: Number(values.quantity) },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    followOrder(order);
  });
});

function renderOrder(order) {
  $("progress").hidden = false;
  const reason = order.rejectionReason ? ` (${order.rejectionReason})` : "";
  $("order-status").textContent = `${STATUS_LABELS[order.status] ?? order.status}${reason}`;
  $("ticket-codes").replaceChildren(
    ...order.tickets.map((ticket) => el("li", { class: "ticket-code" }, el("code", {}, ticket.ticketCode))),
  );
}

/** Live progress over server-sent events until the order settles. */
function followOrder(order) {
  state.orderStream?.close();
  renderOrder(order);
  const stream = new EventSource(`/api/orders/${encodeURIComponent(order.orderId)}/events`);
  state.orderStream = stream;
  stream.addEventListener("status", (event) => {
    const current = JSON.parse(event.data);
    renderOrder(current);
    if (SETTLED.has(current.status)) {
      stream.close();
      void guarded(async () => {
        await refreshBalance();
        if (state.show) renderShow(await api(`/api/shows/${encodeURIComponent(state.show.show.showId)}`));
      });
    }
  });
  stream.addEventListener("timeout", () => {
    stream.close();
    followOrder(order);
  });
  stream.addEventListener("problem", (event) => {
    stream.close();
    notify(JSON.parse(event.data).detail);
  });
}

// --- start -----------------------------------------------------------------------------------

window.addEventListener("DOMContentLoaded", () =>
  guarded(async () => {
    await Promise.all([loadMe(), loadShows(false)]);
  }),
);
