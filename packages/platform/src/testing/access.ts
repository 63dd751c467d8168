import type { ServiceDefinition } from "@grpc/grpc-js";
import type { AccessRule, AccessTable, Caller } from "@marquee/proto/access";

/**
 * A table admitting the given workloads to every RPC of `definition`, acting for nobody: for a
 * test or bench server that borrows a contract without its service's rules (and token checks).
 */
export function admitting<D extends ServiceDefinition>(definition: D, ...callers: Caller[]): AccessTable<D> {
  const rpcs = Object.values(definition).map((method) => method.path.split("/")[2] ?? "");
  // The keys are exactly the definition's RPC names, which is what AccessTable<D> spells out.
  const rule: AccessRule = { callers, acting: "workload" };
  return Object.fromEntries(rpcs.map((rpc) => [rpc, rule])) as unknown as AccessTable<D>;
}
