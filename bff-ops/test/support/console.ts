import {
  backendsOf,
  marketplace,
  PASSWORD,
  startSystem,
  Visitor,
  type Marketplace,
  type Person,
  type System,
} from "@marquee/system-testing";

/** The console's readable CSRF cookie (its cookies are its own: mq_ops_*). */
export const CSRF_COOKIE = "mq_ops_csrf";

export interface Console {
  readonly system: System;
  readonly market: Marketplace;
  /** http://127.0.0.1:<port> of bff-ops. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface ConsoleOptions {
  /** Added to every process's environment (the services' and bff-ops'). */
  env?: NodeJS.ProcessEnv;
  /** bff-ops' own settings. */
  opsEnv?: NodeJS.ProcessEnv;
  /** Services whose PostgreSQL sits behind a TCP proxy the test can pause. */
  proxiedPostgres?: readonly string[];
}

/**
 * Every service bff-ops calls, on this run's own NATS, FerretDB and databases, then bff-ops itself
 * as its own process (main.js, with the bff-ops certificate: the services see the console, not a
 * test holding the operator certificate).
 */
export async function startConsole(options: ConsoleOptions = {}): Promise<Console> {
  const system = await startSystem(backendsOf("bff-ops"), {
    env: { LOG_LEVEL: "warn", ...options.env },
    ...(options.proxiedPostgres ? { proxiedPostgres: options.proxiedPostgres } : {}),
  });
  try {
    await system.start("bff-ops", {
      // Every test's people sign in from 127.0.0.1: the per-address limit is bff-web's to test.
      SIGN_IN_ADDRESS_LIMIT: "100000",
      LOG_LEVEL: process.env.BFF_LOG_LEVEL ?? "warn",
      ...options.opsEnv,
    });
  } catch (error) {
    await system.stop();
    throw error;
  }
  return { system, market: marketplace(system), url: system.url("bff-ops"), stop: () => system.stop() };
}

/** A new user given the operator role (accounts' GrantOperator, as a person with the operator certificate). */
export async function newOperator(market: Marketplace, name = "Oscar"): Promise<Person> {
  const person = await market.signUp(name);
  await market.accounts.grantOperator({ email: person.email, operator: true });
  return person;
}

/** Logs `person` in to the console: a visitor holding the session (401/403 throw). */
export async function logIn(url: string, person: Person): Promise<Visitor> {
  const visitor = new Visitor(url, CSRF_COOKIE);
  const reply = await visitor.post("/api/session", { email: person.email, password: PASSWORD });
  if (reply.status !== 200) throw new Error(`log-in of ${person.email}: ${reply.status} ${reply.text}`);
  return visitor;
}

/**
 * A visitor carrying a buyer's real session in the console's cookies (as if a buyer held them):
 * tokens from accounts' own sign-in, which the console never hands to a non-operator.
 */
export async function buyerSession(url: string, market: Marketplace): Promise<Visitor> {
  const buyer = await market.signUp("Bea");
  const signedIn = await market.accounts.authenticate({ email: buyer.email, password: PASSWORD });
  const visitor = new Visitor(url, CSRF_COOKIE);
  visitor.cookies.set("mq_ops_session", signedIn.accessToken);
  visitor.cookies.set("mq_ops_refresh", signedIn.refreshToken);
  return visitor;
}
