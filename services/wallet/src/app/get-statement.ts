import { notFound } from "@marquee/platform";
import { cursorOf, type StatementCursor, type StatementLine } from "../domain/statement.js";
import type { WalletDeps } from "./ports.js";

export interface StatementQuery {
  accountId: string;
  pageSize: number;
  after: StatementCursor | undefined;
}

export interface StatementPage {
  lines: StatementLine[];
  /** Where the next page starts; undefined on the last page. */
  next: StatementCursor | undefined;
}

/** Owner only (NOT_FOUND for anyone else); newest first. */
export async function getStatement(deps: WalletDeps, callerId: string, query: StatementQuery): Promise<StatementPage> {
  if (callerId !== query.accountId) throw notFound("account");
  const lines = await deps.store.statement(query.accountId, query.pageSize + 1, query.after);
  const page = lines.slice(0, query.pageSize);
  const last = page.at(-1);
  return { lines: page, next: lines.length > query.pageSize && last ? cursorOf(last) : undefined };
}
