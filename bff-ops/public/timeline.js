/* global document */
// One saga's steps drawn as SVG: a lane per step, each attempt a bar on a shared time axis
// (failed attempts marked ✕), with the attempt's outcome, error and trace id in its tooltip.

const SVG = "http://www.w3.org/2000/svg";
const LABEL_WIDTH = 170;
const PLOT_WIDTH = 640;
const LANE_HEIGHT = 30;
const AXIS_HEIGHT = 28;
const TICKS = 5;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

const ms = (iso) => (iso ? Date.parse(iso) : undefined);

function tooltip(step) {
  const parts = [`${step.step} (${step.saga.toLowerCase()}), attempt ${step.attempt}: ${step.outcome.toLowerCase()}`];
  parts.push(`${step.startedAt ?? "?"} → ${step.endedAt ?? "still running"}`);
  if (step.error) parts.push(`error: ${step.error}`);
  if (step.traceId) parts.push(`trace id: ${step.traceId}`);
  return parts.join("\n");
}

/** The SVG of a saga's timeline (GET /api/sagas/:orderId's `steps`), drawn at `now` for steps still running. */
export function drawTimeline(orderId, steps, now = Date.now()) {
  const lanes = [...new Set(steps.map((step) => `${step.saga}:${step.step}`))];
  const starts = steps.map((step) => ms(step.startedAt)).filter((t) => t !== undefined);
  const t0 = starts.length > 0 ? Math.min(...starts) : now;
  const t1 = Math.max(t0 + 1, ...steps.map((step) => ms(step.endedAt) ?? now));
  const x = (t) => LABEL_WIDTH + ((t - t0) / (t1 - t0)) * PLOT_WIDTH;
  const height = lanes.length * LANE_HEIGHT + AXIS_HEIGHT;
  const failed = steps.filter((step) => step.outcome === "FAILED").length;
  const root = svg("svg", {
    viewBox: `0 0 ${LABEL_WIDTH + PLOT_WIDTH + 20} ${height}`,
    width: LABEL_WIDTH + PLOT_WIDTH + 20,
    height,
    role: "img",
    "aria-label": `Saga timeline of order ${orderId}: ${steps.length} attempts, ${failed} failed`,
    class: "timeline",
  });
  lanes.forEach((lane, i) => {
    const y = i * LANE_HEIGHT;
    root.append(
      svg("line", {
        x1: LABEL_WIDTH,
        x2: LABEL_WIDTH + PLOT_WIDTH,
        y1: y + LANE_HEIGHT,
        y2: y + LANE_HEIGHT,
        class: "lane",
      }),
      svg("text", { x: 4, y: y + LANE_HEIGHT / 2 + 4, class: "lane-label" }, lane.replace(":", " · ").toLowerCase()),
    );
  });
  for (const step of steps) {
    const lane = lanes.indexOf(`${step.saga}:${step.step}`);
    const start = ms(step.startedAt) ?? t0;
    const end = ms(step.endedAt) ?? now;
    const left = x(start);
    const width = Math.max(4, x(end) - left);
    const y = lane * LANE_HEIGHT + 6;
    const kind = step.endedAt ? step.outcome.toLowerCase() : "running";
    const bar = svg(
      "g",
      { class: `attempt ${kind}`, "data-step": step.step, "data-attempt": step.attempt },
      svg("title", {}, tooltip(step)),
      svg("rect", { x: left, y, width, height: LANE_HEIGHT - 12, rx: 3 }),
    );
    if (step.outcome === "FAILED") bar.append(svg("text", { x: left + width + 3, y: y + 13, class: "mark" }, "✕"));
    root.append(bar);
  }
  const axisY = lanes.length * LANE_HEIGHT + 16;
  for (let i = 0; i <= TICKS; i++) {
    const t = t0 + ((t1 - t0) * i) / TICKS;
    root.append(
      svg(
        "text",
        { x: x(t), y: axisY, class: "tick", "text-anchor": i === 0 ? "start" : i === TICKS ? "end" : "middle" },
        i === 0 ? new Date(t0).toLocaleTimeString("en-GB", { hour12: false }) : `+${((t - t0) / 1000).toFixed(1)} s`,
      ),
    );
  }
  return root;
}
