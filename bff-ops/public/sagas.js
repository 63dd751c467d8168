/* global FormData, URLSearchParams */
import { $, act, api, el, guarded, row, when } from "./api.js";
import { drawTimeline } from "./timeline.js";

let openOrderId = null;

async function list() {
  const filter = new FormData($("saga-filter"));
  const query = new URLSearchParams();
  for (const [name, value] of filter) if (value !== "") query.set(name, String(value));
  const { sagas } = await api(`/api/sagas?${query}`);
  $("saga-rows").replaceChildren(
    ...sagas.map((saga) => {
      const open = el("a", { href: `#sagas/${saga.orderId}` }, saga.orderId);
      return row(
        el("td", {}, open),
        saga.kind,
        saga.state,
        String(saga.attempts),
        when(saga.createdAt),
        saga.lastError || "—",
      );
    }),
  );
}

async function open(orderId) {
  const timeline = await api(`/api/sagas/${encodeURIComponent(orderId)}`);
  openOrderId = orderId;
  $("saga").hidden = false;
  $("saga-title").textContent = `Saga of order ${orderId}`;
  $("saga-order-status").textContent = timeline.orderStatus;
  const state = timeline.sagas.map((saga) => `${saga.kind} ${saga.state} after ${saga.attempts} attempts`).join("; ");
  $("timeline").replaceChildren(
    drawTimeline(orderId, timeline.steps),
    el("p", { id: "saga-state" }, state || "settled: no saga left to run"),
  );
}

/** Sagas still to finish (filtered), and the one the address names (#sagas/<orderId>) with its timeline. */
export async function showSagas(orderId) {
  await list();
  if (orderId) await open(orderId);
  else $("saga").hidden = true;
}

$("saga-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(list);
});

const ACTIONS = {
  "saga-retry": ["retry", "Retry now"],
  "saga-compensate": ["compensate", "Compensate"],
  "saga-fail": ["fail", "Fail"],
};
for (const [id, [action, title]] of Object.entries(ACTIONS)) {
  $(id).addEventListener("click", () =>
    act(`${title}: order ${openOrderId}`, async (reason) => {
      const answer = await api(`/api/sagas/${encodeURIComponent(openOrderId)}/${action}`, {
        method: "POST",
        body: { reason },
      });
      await showSagas(openOrderId);
      return answer;
    }),
  );
}
