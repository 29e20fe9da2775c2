import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/common/clock";
import { loadConfig } from "../../src/config";
import { startServer, type RunningServer } from "../../src/server";

/** A running server plus the SQLite file it uses (to restart on the same file). */
export type TestServer = RunningServer & { sqlitePath: string };

const tempDirs: string[] = [];
// Each vitest worker is its own process: remove its temporary databases when it exits.
process.once("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts the real server on port 0 against a fresh SQLite file under the OS temp folder,
 * or against `sqlitePath` when given (a restart on the same data). The caller must
 * `await server.stop()`, usually in `afterAll`.
 */
export async function startTestServer(
  opts: { clock?: Clock; sqlitePath?: string; env?: Record<string, string> } = {},
): Promise<TestServer> {
  let sqlitePath = opts.sqlitePath;
  if (!sqlitePath) {
    const dir = mkdtempSync(join(tmpdir(), "invitations-test-"));
    tempDirs.push(dir);
    sqlitePath = join(dir, "test.sqlite");
  }
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    SQLITE_PATH: sqlitePath,
    JWT_SECRET: "test-secret",
    NODE_ENV: "test",
    ...opts.env,
  });
  const server = await startServer({ config, clock: opts.clock, log: () => {} });
  return Object.assign(server, { sqlitePath });
}
