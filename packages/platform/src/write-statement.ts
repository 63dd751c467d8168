import { createHash } from "node:crypto";
import pg from "pg";
import { afterCommit } from "./postgres.js";

/** Prepared statement names by text; bounded, since texts vary only with which writes a use case makes. */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 500;

/**
 * Several writes sent as ONE SQL statement of data-modifying CTEs: one round trip and one
 * implicit transaction (all of them commit, or none). Each write is a named CTE; a later one can
 * depend on an earlier one (`WHERE EXISTS (SELECT 1 FROM first)`: an inbox row that was new). The
 * statement is prepared once per connection and text (the text changes only with which writes a
 * use case makes and how many rows each has), so PostgreSQL parses and plans it once.
 *
 * All the CTEs see the same snapshot, so no write may read what another one of them writes;
 * unique keys still apply, and a violation fails the whole statement.
 */
export class WriteStatement {
  private readonly writes: string[] = [];
  private readonly values: unknown[] = [];
  private readonly hooks: (() => void)[] = [];

  /** A placeholder for `value`, cast to `type` ("uuid", "text[]", ...). */
  param(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * `INSERT INTO table (columns) SELECT * FROM (VALUES (...), ...)`, one parameter per value (a
   * Buffer goes as binary, not as hex text inside an array literal), optionally only `when`;
   * `returning` lets the final query (or a later write) look at the rows written.
   */
  insertRows(
    name: string,
    table: string,
    columns: Record<string, { type: string; values: unknown[] }>,
    options: { when?: string; onConflict?: string; returning?: string } = {},
  ): this {
    const names = Object.keys(columns);
    const specs = Object.values(columns);
    const count = specs[0]?.values.length ?? 0;
    const rows = Array.from(
      { length: count },
      (_, row) => `(${specs.map((c) => this.param(c.values[row], c.type)).join(", ")})`,
    );
    return this.with(
      name,
      `INSERT INTO ${table} (${names.join(", ")}) SELECT * FROM (VALUES ${rows.join(", ")}) AS v (${names.join(", ")})` +
        (options.when ? ` WHERE ${options.when}` : "") +
        (options.onConflict ? ` ON CONFLICT ${options.onConflict}` : "") +
        (options.returning ? ` RETURNING ${options.returning}` : ""),
    );
  }

  /** Adds a write: `name AS (sql)`. */
  with(name: string, sql: string): this {
    this.writes.push(`${name} AS (${sql})`);
    return this;
  }

  /** Runs `hook` once the statement has committed. */
  onCommit(hook: () => void): this {
    this.hooks.push(hook);
    return this;
  }

  get empty(): boolean {
    return this.writes.length === 0;
  }

  /**
   * Sends the statement; `select` is its final query (what it answers: e.g. whether the inbox
   * row was new). On a pool it commits by itself; on a client inside withTransaction, the hooks
   * wait for that transaction's commit.
   */
  async run<R extends pg.QueryResultRow = pg.QueryResultRow>(
    db: pg.Pool | pg.ClientBase,
    select = "SELECT 1",
  ): Promise<R[]> {
    const text = this.writes.length > 0 ? `WITH ${this.writes.join(",\n")}\n${select}` : select;
    const { rows } = await db.query<R>({ name: preparedName(text), text, values: this.values });
    if (db instanceof pg.Pool) for (const hook of this.hooks) hook();
    else for (const hook of this.hooks) afterCommit(db, hook);
    return rows;
  }
}

function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (!name) {
    name = `w_${createHash("sha1").update(text).digest("base64url")}`;
    if (preparedNames.size >= MAX_PREPARED) preparedNames.clear();
    preparedNames.set(text, name);
  }
  return name;
}
