/**
 * Imported first by a bench that calls the services itself: the services take calls only over
 * mutual TLS, so the bench holds the operator's certificate from the test CA (TLS_DIR), as a
 * person at grpcurl does. A call only another workload may make names that workload's identity.
 */
import { testTlsDir } from "@marquee/platform/testing/tls";

process.env.TLS_DIR ??= await testTlsDir("operator");
