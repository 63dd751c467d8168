import { $, act, api, el, when } from "./api.js";

const pretty = (value) => JSON.stringify(value, null, 2);

function card(letter) {
  const id = `${letter.service}/${letter.sequence}`;
  const path = `/api/dead-letters/${letter.service}/${letter.sequence}`;
  const redrive = el("button", { type: "button" }, "Redrive");
  const discard = el("button", { type: "button" }, "Discard");
  const title = `${letter.eventType || letter.subject} for ${letter.service}'s ${letter.consumer}`;
  redrive.addEventListener("click", () =>
    act(`Redrive ${id}`, async (reason) => {
      const answer = await api(`${path}/redrive`, { method: "POST", body: { reason } });
      await showDeadLetters();
      return answer;
    }),
  );
  discard.addEventListener("click", () =>
    act(`Discard ${id}`, async (reason) => {
      const answer = await api(`${path}/discard`, { method: "POST", body: { reason } });
      await showDeadLetters();
      return answer;
    }),
  );
  return el(
    "li",
    { "aria-label": `Dead letter ${id}`, "data-event-id": letter.eventId },
    el("h3", {}, title),
    el(
      "dl",
      {},
      el("dt", {}, "Dead letter"),
      el("dd", {}, `${id} at ${when(letter.deadLetteredAt)}`),
      el("dt", {}, "Event"),
      el("dd", {}, `${letter.eventId} on ${letter.subject} (aggregate ${letter.aggregateId || "—"})`),
      el("dt", {}, "Reason"),
      el("dd", { class: "error" }, letter.reason),
    ),
    el(
      "details",
      { open: "" },
      el("summary", {}, `Payload (${letter.payloadSize} bytes)`),
      el("pre", { class: "payload" }, letter.payload === null ? "(could not be decoded)" : pretty(letter.payload)),
    ),
    el("details", {}, el("summary", {}, "Headers"), el("pre", {}, pretty(letter.headers))),
    el("div", { class: "actions" }, redrive, discard),
  );
}

/** Every service's dead letters, decoded, with redrive and discard. */
export async function showDeadLetters() {
  const answer = await api("/api/dead-letters");
  $("dead-letters-degraded").textContent = answer.degraded.length ? `Not answering: ${answer.degraded.join(", ")}` : "";
  $("dead-letter-list").replaceChildren(
    ...(answer.deadLetters.length ? answer.deadLetters.map(card) : [el("li", {}, "No dead letters.")]),
  );
}
