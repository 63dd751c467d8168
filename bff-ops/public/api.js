/* global document, window, fetch, TextDecoder */
// What every part of the console shares: the JSON API on this origin (the session is httpOnly
// cookies the page never sees; writes echo the readable CSRF cookie in X-CSRF-Token), elements
// built with text only (never HTML from the API), notices, and the reason every action asks for.

export const $ = (id) => document.getElementById(id);

const CSRF_COOKIE = "mq_ops_csrf=";

export function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith(CSRF_COOKIE));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length)) : "";
}

export class ApiError extends Error {
  constructor(problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.description}`).join("; ");
    super(fields ? `${problem.detail} (${fields})` : (problem.detail ?? problem.title ?? "request failed"));
    this.status = problem.status;
    this.reason = problem.reason;
  }
}

// A request that raced another one renewing the session (on another server) is told to retry.
const SESSION_RENEWED_CONCURRENTLY = "SESSION_RENEWED_CONCURRENTLY";

function init(method, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return { method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body) };
}

async function failure(response) {
  const data = await response.json().catch(() => ({}));
  return new ApiError({ status: response.status, ...data });
}

export async function api(path, { method = "GET", body } = {}, retried = false) {
  const response = await fetch(path, init(method, body));
  if (response.status === 204) return null;
  if (response.ok) return response.json();
  const error = await failure(response);
  if (error.status === 401 && error.reason === SESSION_RENEWED_CONCURRENTLY && !retried) {
    await new Promise((resolve) => window.setTimeout(resolve, 200));
    return api(path, { method, body }, true);
  }
  throw error;
}

/**
 * POSTs and reads the answer as server-sent events (EventSource cannot POST): calls
 * onEvent(name, data) for each, and resolves when the server ends the stream.
 */
export async function postEvents(path, body, onEvent) {
  const response = await fetch(path, init("POST", body));
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
      if (event && data !== undefined) onEvent(event, JSON.parse(data));
    }
  }
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child ?? "");
  return node;
}

export function row(...cells) {
  const isCell = (cell) => cell instanceof window.Element && (cell.tagName === "TD" || cell.tagName === "TH");
  return el("tr", {}, ...cells.map((cell) => (isCell(cell) ? cell : el("td", {}, cell))));
}

export function notify(message) {
  $("notice").textContent = message;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString("en-GB", { hour12: false }) : "—";
}

export function money(value) {
  if (!value) return "—";
  return new Intl.NumberFormat("en-IE", { style: "currency", currency: value.currency || "EUR" }).format(
    value.amountMinor / 100,
  );
}

let signedOut = () => undefined;
/** What the shell does when the API says the session is gone (401). */
export function onSignedOut(handler) {
  signedOut = handler;
}

/** Runs an action, showing its failure as a notice (and the log-in form when signed out). */
export async function guarded(action) {
  try {
    notify("");
    await action();
  } catch (error) {
    notify(error.message);
    if (error.status === 401) signedOut();
  }
}

/**
 * Asks the operator why (every action is audited with its reason): resolves to the reason, or
 * null when cancelled.
 */
export function askReason(title) {
  const dialog = $("reason-dialog");
  const input = $("reason-input");
  $("reason-title").textContent = title;
  input.value = "";
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm" ? input.value.trim() : null), {
      once: true,
    });
  });
}

/** Asks for a reason, then runs the action with it; says what happened. */
export async function act(title, run) {
  const reason = await askReason(title);
  if (reason === null) return;
  await guarded(async () => {
    const answer = await run(reason);
    const outcome = answer?.outcome === "ALREADY_DONE" ? "already done" : "done";
    notify(`${title}: ${outcome}.`);
  });
}
