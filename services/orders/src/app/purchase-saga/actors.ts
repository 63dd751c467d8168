import type { AppendOptions } from "../ports.js";

/** Who records the saga's progress in the order's history, in orchestration. */
export const ORCHESTRATOR: AppendOptions = { actor: "system:purchase-saga" };

/** Who gives a choreographed purchase up when its deadline passes. */
export const PURCHASE_DEADLINE: AppendOptions = { actor: "system:purchase-deadline" };
