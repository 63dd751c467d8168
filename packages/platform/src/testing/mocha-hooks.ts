import { testTlsDir } from "./tls.js";

/**
 * Mocha root hooks (.mocharc.js requires this file): before any test, the test CA is issued and
 * the test process itself holds the operator's certificate (TLS_DIR), as a person at grpcurl
 * does. A test that plays another workload says so (permittedClient, or createClient's identity).
 */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    process.env.TLS_DIR ??= await testTlsDir("operator");
  },
};
