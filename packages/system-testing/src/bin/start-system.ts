// node packages/system-testing/dist/src/bin/start-system.js [process ...]
//
// Starts the named processes of the harness's table (default: every built service) on their own
// NATS, FerretDB and databases, prints one JSON line {"addresses": {"<name>": "host:port"}} once
// every one serves, and runs until SIGTERM or SIGINT. Then it stops them all and exits 0 only
// if each stopped cleanly (exit code 0); otherwise 1, with the output of those that did not.
// For poking at a throwaway system with grpcurl, and for the service generator's e2e test.
import { startSystem } from "../system.js";

const names = process.argv.slice(2);
const system = await startSystem(names.length > 0 ? names : undefined);
const addresses = Object.fromEntries([...system.services].map(([name, running]) => [name, running.address]));
process.stdout.write(`${JSON.stringify({ addresses })}\n`);

await new Promise<void>((resolve) => {
  process.once("SIGTERM", resolve);
  process.once("SIGINT", resolve);
});
await system.stop();
const unclean = [...system.services].filter(([, running]) => running.lastExit()?.code !== 0);
for (const [name, running] of unclean)
  process.stderr.write(`${name} did not stop cleanly (${JSON.stringify(running.lastExit())}):\n${running.output()}\n`);
process.exitCode = unclean.length > 0 ? 1 : 0;
