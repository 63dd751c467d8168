/* global FormData, window */
import { $, api, el, guarded, money, when } from "./api.js";

const state = { orderId: null, marks: [], asked: 0 };

// Moments a few milliseconds apart are told apart (a saga run's steps follow each other fast).
const instant = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false, fractionalSecondDigits: 3 });
const markLabel = (moment) => `${moment.service}: ${moment.what} at ${instant(moment.at)}`;

function seatsText(seats) {
  return seats ? `${seats.state}${seats.quantity ? ` (${seats.quantity})` : ""}` : "—";
}

function render(snapshot) {
  $("order-degraded").textContent = snapshot.degraded.length ? `Not answering: ${snapshot.degraded.join(", ")}` : "";
  $("order-status").textContent = snapshot.order?.status ?? "not placed yet";
  $("order-version").textContent = snapshot.order ? String(snapshot.order.version) : "—";
  $("order-total").textContent = money(snapshot.order?.total);
  $("order-charged").textContent = snapshot.ledger ? money(snapshot.ledger.netCharged) : "unknown";
  $("order-ledger").replaceChildren(
    ...(snapshot.ledger?.entries ?? []).map((entry) =>
      el("li", {}, `${entry.kind} ${money(entry.amount)} on ${entry.account} at ${when(entry.at)}`),
    ),
  );
  $("order-seats").textContent = snapshot.seats ? seatsText(snapshot.seats) : "unknown";
}

async function moment(index) {
  const mark = state.marks[index];
  const asked = ++state.asked;
  $("order-moment").textContent = mark ? markLabel(mark) : "now";
  const at = mark ? `?at=${encodeURIComponent(mark.at)}` : "";
  const snapshot = await api(`/api/orders/${encodeURIComponent(state.orderId)}${at}`);
  // The slider moves faster than answers come back: only the latest moment asked for is shown.
  if (asked === state.asked) render(snapshot);
}

function changeItems(changes) {
  const items = [];
  if (changes.status) items.push(`Status: ${changes.status.from ?? "none"} → ${changes.status.to ?? "none"}`);
  for (const entry of changes.ledgerEntriesAdded ?? []) {
    items.push(`Ledger entry added: ${entry.kind} ${money(entry.amount)} on ${entry.account}`);
  }
  if (changes.netCharged) {
    const charged = (minor) => (minor === null ? "—" : money({ amountMinor: minor, currency: "EUR" }));
    items.push(`Charged: ${charged(changes.netCharged.from)} → ${charged(changes.netCharged.to)}`);
  }
  if (changes.seats) items.push(`Seats: ${seatsText(changes.seats.from)} → ${seatsText(changes.seats.to)}`);
  if (changes.events.length) items.push(`Events: ${changes.events.map((mark) => mark.type).join(", ")}`);
  if (changes.ledgerEntriesAdded === null) items.push("Wallet did not answer: its changes are unknown");
  return items.length ? items : ["Nothing changed"];
}

/**
 * One order across services at the moment the slider picks (the moments something happened to it
 * in any service), and a diff of two moments.
 */
export async function showOrder(orderId) {
  if (!orderId) return;
  $("order-id").value = orderId;
  const now = await api(`/api/orders/${encodeURIComponent(orderId)}`);
  state.orderId = orderId;
  state.marks = now.moments;
  const slider = $("order-slider");
  slider.max = String(Math.max(0, state.marks.length - 1));
  slider.value = slider.max;
  $("order-moment").textContent = state.marks.length ? markLabel(state.marks.at(-1)) : "now";
  render(now);
  const options = () => state.marks.map((mark) => el("option", { value: mark.at }, markLabel(mark)));
  $("diff-from").replaceChildren(...options());
  $("diff-to").replaceChildren(...options());
  $("diff-to").selectedIndex = state.marks.length - 1;
  $("diff").replaceChildren();
  $("order-view").hidden = false;
}

$("order-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = String(new FormData(event.target).get("orderId")).trim();
  window.location.hash = `#order/${id}`;
});

$("order-slider").addEventListener("input", (event) => {
  void guarded(() => moment(Number(event.target.value)));
});

$("diff-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(async () => {
    const from = encodeURIComponent($("diff-from").value);
    const to = encodeURIComponent($("diff-to").value);
    const { changes } = await api(`/api/orders/${encodeURIComponent(state.orderId)}/diff?from=${from}&to=${to}`);
    $("diff").replaceChildren(...changeItems(changes).map((text) => el("li", {}, text)));
  });
});
