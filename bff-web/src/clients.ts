import { bffClients } from "@marquee/platform/bff-clients";
import type { WebConfig } from "./config.js";

const SERVICES = ["accounts", "catalog", "inventory", "wallet", "orders", "query"] as const;

/** The services bff-web calls; the request's deadline, id and the user's token travel with every call. */
export const createClients = (config: WebConfig) => bffClients(config, SERVICES, { defaultTimeoutMs: 5_000 });

export type Clients = ReturnType<typeof createClients>["clients"];
