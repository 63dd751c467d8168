import type { Client } from "@grpc/grpc-js";
import { ACCESS_TABLES, type AccessRule } from "@marquee/proto/access";
import {
  createClient,
  serviceNameOf,
  type ClientConstructor,
  type ClientOptions,
  type PromiseClient,
} from "../grpc-client.js";
import { issuedIdentity } from "./tls.js";

/**
 * A client whose every call comes from a workload its access rule admits (the first one listed):
 * ChargeForOrder as orders, Deposit as bff-web, VerifyApiKey as bff-partner. For tests of one
 * service's behaviour; access itself is tested against the tables, caller by caller. Needs the
 * test CA issued (any started process issues it).
 */
export function permittedClient<C extends Client>(
  Constructor: ClientConstructor<C>,
  address: string,
  options: Omit<ClientOptions, "identity"> = {},
): { call: PromiseClient<C>; close(): void } {
  const service = serviceNameOf(Constructor);
  const table = (ACCESS_TABLES as Record<string, Record<string, AccessRule>>)[service];
  if (!table) throw new Error(`no access table for ${service}`);
  const channels = new Map<string, ReturnType<typeof createClient<C>>>();
  const channelOf = (workload: string) => {
    let channel = channels.get(workload);
    if (!channel) {
      channel = createClient(Constructor, address, { ...options, identity: issuedIdentity(workload) });
      channels.set(workload, channel);
    }
    return channel;
  };
  const methodPaths = Constructor.service;
  const call = new Proxy({} as PromiseClient<C>, {
    get(_, name: string) {
      const rpc = methodPaths[name]?.path.split("/")[2];
      const workload = rpc ? table[rpc]?.callers[0] : undefined;
      if (!workload) return undefined;
      return (channelOf(workload).call as Record<string, unknown>)[name];
    },
  });
  return { call, close: () => channels.forEach((channel) => channel.close()) };
}
