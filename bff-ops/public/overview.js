/* global EventSource */
import { $, el, guarded, api, row, when } from "./api.js";

let source = null;

function health(service) {
  if (!service.up) return el("td", { class: "bad" }, "down (no answer)");
  return el("td", { class: service.healthy ? "good" : "bad" }, service.healthy ? "healthy" : "unhealthy");
}

function dependencies(service) {
  return service.dependencies
    .map((d) => `${d.name} ${d.healthy ? "ok" : `failing: ${d.detail}`} (${Math.round(d.latencyMs)} ms)`)
    .join("; ");
}

function outbox(service) {
  if (!service.outbox) return "—";
  const { pending, oldestAgeMs } = service.outbox;
  return pending === 0 ? "0" : `${pending} (oldest ${Math.round(oldestAgeMs / 1000)} s)`;
}

function lag(service) {
  return service.consumers
    .map(
      (c) => `${c.durable}: ${c.pending} pending, ${c.ackPending} in flight${c.lastError ? ` — ${c.lastError}` : ""}`,
    )
    .join("; ");
}

function render(overview) {
  $("overview-updated").textContent = when(overview.at);
  $("overview-rows").replaceChildren(
    ...overview.services.map((service) =>
      row(
        el("th", { scope: "row" }, service.service),
        health(service),
        dependencies(service),
        outbox(service),
        lag(service),
        String(service.deadLetters),
      ),
    ),
  );
}

/** Live: an `overview` event every few seconds over server-sent events (EventSource reconnects). */
export async function showOverview() {
  if (source) return;
  render(await api("/api/overview"));
  source = new EventSource("/api/overview/events");
  source.addEventListener("overview", (event) => render(JSON.parse(event.data)));
  source.addEventListener("error", () => {
    // Closed for good (the session ended): find out why, and show it.
    if (source?.readyState === EventSource.CLOSED) {
      stopOverview();
      void guarded(() => api("/api/me"));
    }
  });
}

export function stopOverview() {
  source?.close();
  source = null;
}
