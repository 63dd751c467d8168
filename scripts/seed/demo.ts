import {
  bearer,
  clientCredentials,
  createClient,
  DomainError,
  processIdentity,
  TOKEN,
  type PromiseClient,
} from "@marquee/platform";
import { grpcTarget } from "@marquee/platform/grpc-target";
import { HealthCheckResponse_ServingStatus, HealthClient } from "@marquee/platform/testing/health-client";
import { AccountsServiceClient, Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import {
  CatalogServiceClient,
  CreateShowRequest,
  ListShowsRequest,
  ShowStatus,
  type Show,
} from "@marquee/proto/marquee/catalog/v1/catalog_service";

/** Every demo user's password (the accounts service wants at least 10 characters). */
export const DEMO_PASSWORD = "marquee-demo-password";

export const DEMO_USERS = {
  organizer: { email: "organizer@marquee.test", displayName: "Olive Organizer" },
  buyer: { email: "buyer@marquee.test", displayName: "Bea Buyer" },
  doorStaff: { email: "door@marquee.test", displayName: "Dan Doorstaff" },
  /** Granted the operator role (accounts' GrantOperator): signs in to the operations console. */
  operator: { email: "operator@marquee.test", displayName: "Otto Operator" },
} as const;

export type DemoUser = keyof typeof DEMO_USERS;

export const DEMO_ORGANIZATION = "Marquee Demo Hall";

const DAY_MS = 86_400_000;

/** 20:00 UTC, `days` days after `now`. */
function evening(now: Date, days: number): Date {
  const date = new Date(now.getTime() + days * DAY_MS);
  date.setUTCHours(20, 0, 0, 0);
  return date;
}

const eur = (euros: number) => ({ amountMinor: euros * 100, currency: "EUR" });

/** The three demo shows, dated from `now` (a show can only be published before it starts). */
export function demoShows(organizationId: string, now: Date): CreateShowRequest[] {
  return [
    CreateShowRequest.fromPartial({
      organizationId,
      title: "Midnight Jazz Trio",
      description: "Standards and originals, two sets, late.",
      venue: { name: "Blue Lantern Club", city: "Lisbon", address: "Rua do Norte 12" },
      startsAt: evening(now, 30),
      tags: ["jazz", "live"],
      tiers: [
        { name: "Standing", price: eur(25), capacity: 200, description: "Standing room by the bar" },
        { name: "Table", price: eur(60), capacity: 40, description: "Seated, table service" },
      ],
    }),
    CreateShowRequest.fromPartial({
      organizationId,
      title: "Stand-up Night: First Times",
      description: "Five comedians, five first times.",
      venue: { name: "Old Cinema", city: "Porto", address: "Praça da Batalha 3" },
      startsAt: evening(now, 45),
      tags: ["comedy"],
      tiers: [{ name: "General admission", price: eur(18), capacity: 300, description: "" }],
    }),
    CreateShowRequest.fromPartial({
      organizationId,
      title: "Symphony under the Stars",
      description: "The city orchestra plays Dvořák's New World in the park.",
      venue: { name: "City Park Amphitheatre", city: "Lisbon", address: "Parque Eduardo VII" },
      startsAt: evening(now, 60),
      tags: ["classical", "outdoor"],
      tiers: [
        { name: "Lawn", price: eur(15), capacity: 1000, description: "Bring a blanket" },
        { name: "Seated", price: eur(45), capacity: 400, description: "" },
        { name: "VIP", price: eur(120), capacity: 50, description: "Front rows and a glass of wine" },
      ],
    }),
  ];
}

export interface SeedOptions {
  /** host:port of the accounts service. */
  accountsAddress: string;
  /** host:port of the catalog service; shows are skipped when it does not report SERVING there. */
  catalogAddress?: string | undefined;
  /** The clock the show dates are computed from. */
  now?: Date;
}

export interface SeededUser {
  userId: string;
  email: string;
  /** false: it was there already (ALREADY_EXISTS), and the demo password still works. */
  created: boolean;
}

export interface SeededShow {
  showId: string;
  title: string;
  startsAt: Date | undefined;
  tiers: number;
  created: boolean;
  /** true when this run published it (false: it was published already). */
  publishedNow: boolean;
}

export interface SeedResult {
  password: string;
  users: Record<DemoUser, SeededUser & { accessToken: string }>;
  organization: { organizationId: string; name: string; created: boolean };
  /** Whether this run added the door staff member to the organization. */
  doorStaffAdded: boolean;
  /** Whether this run granted the operator user the operator role (false: they held it already). */
  operatorGranted: boolean;
  catalog: { address: string; shows: SeededShow[] } | { address: string | undefined; skipped: string };
}

type Accounts = PromiseClient<AccountsServiceClient>;
type Catalog = PromiseClient<CatalogServiceClient>;

/** A response's message field, which proto3 makes optional but the service always sets. */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the response has no ${what}`);
  return value;
}

const isKind = (error: unknown, kind: DomainError["kind"]): boolean =>
  error instanceof DomainError && error.kind === kind;

/** Adds which service and address failed to a call's error, keeping the DomainError. */
async function at<T>(service: string, address: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof DomainError) {
      throw new DomainError(error.kind, `${service} at ${address}: ${error.message}`, {
        violations: error.violations,
        cause: error,
        ...(error.reason ? { reason: error.reason } : {}),
      });
    }
    throw error;
  }
}

async function ensureUser(accounts: Accounts, who: DemoUser): Promise<SeededUser & { accessToken: string }> {
  const { email, displayName } = DEMO_USERS[who];
  let created = true;
  try {
    await accounts.registerUser({ email, displayName, password: DEMO_PASSWORD });
  } catch (error) {
    if (!isKind(error, "already_exists")) throw error;
    created = false;
  }
  try {
    const { accessToken, user } = await accounts.authenticate({ email, password: DEMO_PASSWORD });
    return { userId: present(user, "user").userId, email, created, accessToken };
  } catch (error) {
    if (!isKind(error, "unauthenticated")) throw error;
    throw new Error(
      `${email} exists but the demo password does not work for it: it was registered by hand with another ` +
        "password. Drop the accounts database (marquee_accounts) to start over, or leave it as it is.",
      { cause: error },
    );
  }
}

/** A claim of a token that came straight from accounts (read, not verified: it is ours). */
function claimOf(accessToken: string, claim: string): unknown {
  const payload = accessToken.split(".")[1] ?? "";
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>)[claim];
}

/**
 * The operator user with the operator role, granted when their token does not carry it yet;
 * returns a token that does. GrantOperator admits only the operator certificate: the seed runs
 * with it (scripts/up.sh: TLS_DIR=.data/tls/operator).
 */
async function ensureOperator(
  accounts: Accounts,
  operator: SeededUser & { accessToken: string },
): Promise<{ granted: boolean; accessToken: string }> {
  if (claimOf(operator.accessToken, TOKEN.operatorClaim) === true) {
    return { granted: false, accessToken: operator.accessToken };
  }
  await accounts.grantOperator({ email: operator.email, operator: true });
  // A fresh token that carries the role.
  const { accessToken } = await accounts.authenticate({ email: operator.email, password: DEMO_PASSWORD });
  return { granted: true, accessToken };
}

/** The organizer's organization named DEMO_ORGANIZATION, created when missing; returns a token with the role. */
async function ensureOrganization(
  accounts: Accounts,
  organizer: SeededUser & { accessToken: string },
): Promise<{ organizationId: string; created: boolean; accessToken: string }> {
  const auth = { metadata: bearer(organizer.accessToken) };
  const { memberships } = await accounts.getUser({ userId: organizer.userId }, auth);
  for (const membership of memberships.filter((m) => m.role === Role.ROLE_ORGANIZER)) {
    const { organization } = await accounts.getOrganization({ organizationId: membership.organizationId });
    if (organization?.name === DEMO_ORGANIZATION) {
      // The token from Authenticate already carries the organizer role of this organization.
      return { organizationId: membership.organizationId, created: false, accessToken: organizer.accessToken };
    }
  }
  const { organization, accessToken } = await accounts.createOrganization({ name: DEMO_ORGANIZATION }, auth);
  return { organizationId: present(organization, "organization").organizationId, created: true, accessToken };
}

async function catalogServing(address: string): Promise<boolean> {
  const health = new HealthClient(grpcTarget(address), clientCredentials(processIdentity()));
  try {
    return await new Promise<boolean>((resolve) =>
      health.check({ service: "" }, { deadline: Date.now() + 2_000 }, (error, response) =>
        resolve(!error && response.status === HealthCheckResponse_ServingStatus.SERVING),
      ),
    );
  } finally {
    health.close();
  }
}

async function organizationShows(catalog: Catalog, organizationId: string, token: string): Promise<Show[]> {
  const shows: Show[] = [];
  let pageToken = "";
  do {
    const page = await catalog.listShows(ListShowsRequest.fromPartial({ organizationId, pageSize: 100, pageToken }), {
      metadata: bearer(token),
    });
    shows.push(...page.shows);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return shows;
}

async function ensureShows(catalog: Catalog, organizationId: string, token: string, now: Date): Promise<SeededShow[]> {
  const existing = await organizationShows(catalog, organizationId, token);
  const seeded: SeededShow[] = [];
  for (const request of demoShows(organizationId, now)) {
    let show = existing.find((s) => s.title === request.title);
    const created = !show;
    if (!show) show = present((await catalog.createShow(request, { metadata: bearer(token) })).show, "show");
    const publishedNow = show.status !== ShowStatus.SHOW_STATUS_PUBLISHED;
    if (publishedNow) {
      show = present((await catalog.publishShow({ showId: show.showId }, { metadata: bearer(token) })).show, "show");
    }
    seeded.push({
      showId: show.showId,
      title: show.title,
      startsAt: show.startsAt,
      tiers: show.tiers.length,
      created,
      publishedNow,
    });
  }
  return seeded;
}

/**
 * Demo data through the services' public gRPC APIs: an organizer, a buyer, door staff and an
 * operator (one password; the operator with the operator role), the organizer's organization
 * with the door staff as a member and, when the
 * catalog is up, three published shows with tiers. Idempotent: what exists is found
 * (ALREADY_EXISTS, or looked up by name/title) and left as it is.
 */
export async function seedDemo(options: SeedOptions): Promise<SeedResult> {
  const now = options.now ?? new Date();
  const accountsClient = createClient(AccountsServiceClient, options.accountsAddress, { defaultTimeoutMs: 10_000 });
  const accounts = accountsClient.call;
  try {
    const users = {} as SeedResult["users"];
    for (const who of Object.keys(DEMO_USERS) as DemoUser[]) {
      users[who] = await at("accounts", options.accountsAddress, ensureUser(accounts, who));
    }
    const organization = await at("accounts", options.accountsAddress, ensureOrganization(accounts, users.organizer));
    const { organizationId } = organization;

    const door = users.doorStaff;
    const { memberships } = await at(
      "accounts",
      options.accountsAddress,
      accounts.getUser({ userId: door.userId }, { metadata: bearer(door.accessToken) }),
    );
    const doorStaffAdded = !memberships.some(
      (m) => m.organizationId === organizationId && m.role === Role.ROLE_DOOR_STAFF,
    );
    if (doorStaffAdded) {
      await at(
        "accounts",
        options.accountsAddress,
        accounts.addMember(
          { organizationId, userId: door.userId, role: Role.ROLE_DOOR_STAFF },
          { metadata: bearer(organization.accessToken) },
        ),
      );
      // A fresh token that carries the door-staff role.
      const { accessToken } = await at(
        "accounts",
        options.accountsAddress,
        accounts.authenticate({ email: door.email, password: DEMO_PASSWORD }),
      );
      users.doorStaff = { ...door, accessToken };
    }
    users.organizer = { ...users.organizer, accessToken: organization.accessToken };
    const operator = await at("accounts", options.accountsAddress, ensureOperator(accounts, users.operator));
    users.operator = { ...users.operator, accessToken: operator.accessToken };

    const result: Omit<SeedResult, "catalog"> = {
      password: DEMO_PASSWORD,
      users,
      organization: { organizationId, name: DEMO_ORGANIZATION, created: organization.created },
      doorStaffAdded,
      operatorGranted: operator.granted,
    };

    const catalogAddress = options.catalogAddress;
    if (!catalogAddress) return { ...result, catalog: { address: undefined, skipped: "no catalog address given" } };
    if (!(await catalogServing(catalogAddress))) {
      return {
        ...result,
        catalog: { address: catalogAddress, skipped: `catalog is not SERVING at ${catalogAddress}` },
      };
    }
    const catalogClient = createClient(CatalogServiceClient, catalogAddress, { defaultTimeoutMs: 10_000 });
    try {
      const shows = await at(
        "catalog",
        catalogAddress,
        ensureShows(catalogClient.call, organizationId, organization.accessToken, now),
      );
      return { ...result, catalog: { address: catalogAddress, shows } };
    } finally {
      catalogClient.close();
    }
  } finally {
    accountsClient.close();
  }
}

const state = (created: boolean) => (created ? "created" : "already there");

/** What the seed did, as lines for a terminal. */
export function formatSeedReport(result: SeedResult): string {
  const lines = [`Demo data (password of every demo user: ${result.password})`];
  const labels: Record<DemoUser, string> = {
    organizer: "organizer",
    buyer: "buyer",
    doorStaff: "door staff",
    operator: "operator",
  };
  for (const who of Object.keys(labels) as DemoUser[]) {
    const user = result.users[who];
    const granted = who === "operator" && result.operatorGranted ? "; operator role granted" : "";
    lines.push(`  ${labels[who].padEnd(12)} ${user.email.padEnd(24)} ${user.userId}  ${state(user.created)}${granted}`);
  }
  const org = result.organization;
  lines.push(
    `  ${"organization".padEnd(12)} ${org.name.padEnd(24)} ${org.organizationId}  ${state(org.created)}` +
      (result.doorStaffAdded ? "; door staff added" : ""),
  );
  if ("skipped" in result.catalog) {
    lines.push(`  shows: skipped (${result.catalog.skipped})`);
  } else {
    for (const show of result.catalog.shows) {
      const when = show.startsAt ? show.startsAt.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "?";
      const what = [state(show.created), ...(show.publishedNow ? ["published"] : [])].join(", ");
      lines.push(
        `  ${"show".padEnd(12)} ${show.title.padEnd(28)} ${show.showId}  ${when}, ${show.tiers} tiers; ${what}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
