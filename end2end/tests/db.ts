import { execFileSync } from "node:child_process";

/** Runs a query against the server's throw-away database and returns the first column of the first row. */
export function scalar(sql: string, db = process.env.BATON_DB): string {
  if (!db) throw new Error("BATON_DB is not set: run the suite through scripts/e2e.sh");
  return execFileSync("sqlite3", ["-readonly", db, sql], { encoding: "utf8" }).trim();
}
