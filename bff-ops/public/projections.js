import { $, act, api, el, postEvents, row, when } from "./api.js";

function progressOf(name) {
  const bar = el("progress", { id: `rebuild-${name}`, max: "1", value: "0", "aria-label": `Rebuild of ${name}` });
  const label = el("output", { id: `rebuild-${name}-phase` });
  return { bar, label, cell: el("td", {}, bar, " ", label) };
}

function show(progress, { bar, label }, projection) {
  const total = Math.max(progress.total, 1);
  bar.max = String(total);
  bar.value = String(Math.min(progress.done, total));
  const eta = progress.etaSeconds > 0 ? `, about ${Math.ceil(progress.etaSeconds)} s left` : "";
  label.textContent = `${progress.phase.toLowerCase().replace("_", " ")} ${progress.done}/${progress.total}${eta}`;
  bar.setAttribute("aria-valuetext", `${projection}: ${label.textContent}`);
}

function rebuildButton(name, progress) {
  const button = el("button", { type: "button" }, `Rebuild ${name}`);
  button.addEventListener("click", () =>
    act(`Rebuild ${name}`, async (reason) => {
      button.disabled = true;
      try {
        await postEvents(`/api/projections/${encodeURIComponent(name)}/rebuild`, { reason }, (event, data) => {
          if (event === "progress") show(data, progress, name);
          if (event === "done") progress.label.textContent = "done";
          if (event === "problem") throw new Error(data.detail);
        });
      } finally {
        button.disabled = false;
      }
      await showProjections();
      return { outcome: "APPLIED" };
    }),
  );
  return button;
}

/** The query service's projections with their lag, and a rebuild with its progress bar. */
export async function showProjections() {
  const { projections } = await api("/api/projections");
  $("projection-rows").replaceChildren(
    ...projections.map((p) => {
      const progress = progressOf(p.name);
      if (p.rebuilding) show(p.rebuilding, progress, p.name);
      else progress.label.textContent = p.lastRebuild || "";
      const tr = row(
        el("th", { scope: "row" }, p.name),
        String(p.generation),
        `${p.checkpoint} of ${p.streamLastSequence}`,
        String(p.pendingMessages),
        `${p.lagSeconds.toFixed(1)} s`,
        when(p.lastEventAt),
        el("td", {}, rebuildButton(p.name, progress)),
      );
      tr.append(progress.cell);
      return tr;
    }),
  );
}
