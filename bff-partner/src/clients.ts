import { bffClients } from "@marquee/platform/bff-clients";
import type { PartnerConfig } from "./config.js";

const SERVICES = ["accounts", "catalog", "inventory", "orders", "wallet"] as const;

/** The services bff-partner calls; the partner token travels with every call (auth/require-partner.ts). */
export const createClients = (config: PartnerConfig) => bffClients(config, SERVICES, { defaultTimeoutMs: 5_000 });

export type Clients = ReturnType<typeof createClients>["clients"];
