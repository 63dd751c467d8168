import { bffClients } from "@marquee/platform/bff-clients";
import type { MobileConfig } from "./config.js";

const SERVICES = ["accounts", "catalog", "inventory", "orders"] as const;

/** The services bff-mobile calls; the caller's token travels with every call (auth/bearer.ts). */
export const createClients = (config: MobileConfig) => bffClients(config, SERVICES, { defaultTimeoutMs: 5_000 });

export type Clients = ReturnType<typeof createClients>["clients"];
