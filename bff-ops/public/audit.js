import { $, api, guarded, row, when } from "./api.js";

let nextCursor = null;

async function page(cursor) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const answer = await api(`/api/audit${query}`);
  const rows = answer.records.map((r) => row(when(r.at), r.actor, r.service, r.action, r.target, r.reason, r.result));
  if (cursor) $("audit-rows").append(...rows);
  else $("audit-rows").replaceChildren(...rows);
  $("audit-degraded").textContent = answer.degraded.length ? `Not answering: ${answer.degraded.join(", ")}` : "";
  nextCursor = answer.nextCursor;
  $("audit-older").hidden = !nextCursor;
}

/** Every service's audit records, merged, newest first. */
export async function showAudit() {
  await page(null);
}

$("audit-older").addEventListener("click", () => guarded(() => page(nextCursor)));
