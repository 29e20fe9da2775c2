/**
 * The documentation stays true: the README's shape and first commands, every relative link in
 * README.md and docs/, every configuration variable documented, the contract's rule numbers,
 * no reference to anything outside the repository, and the README's curl quick start run as
 * written against a real server.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  subscribe as subscribeChannel,
  unsubscribe as unsubscribeChannel,
} from "node:diagnostics_channel";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT } from "../src/config";
import { startTestServer } from "./helpers/server";

const ROOT = resolve(__dirname, "..");
const README = "README.md";
const QUICK_START = "## Quick start with curl";

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** README.md and every Markdown file under docs/, as paths relative to the repository. */
function markdownFiles(): string[] {
  const files = [README];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) files.push(path);
    }
  };
  walk("docs");
  return files;
}

interface Fence {
  lang: string;
  body: string;
}

/** The fenced code blocks of a Markdown text, and its lines outside them. */
function parseMarkdown(text: string): { fences: Fence[]; prose: { line: string; n: number }[] } {
  const fences: Fence[] = [];
  const prose: { line: string; n: number }[] = [];
  let open: { lang: string; lines: string[] } | null = null;
  text.split("\n").forEach((line, i) => {
    const marker = /^\s*```(\S*)/.exec(line);
    if (marker && !open) open = { lang: marker[1], lines: [] };
    else if (marker && open && /^\s*```\s*$/.test(line)) {
      fences.push({ lang: open.lang, body: open.lines.join("\n") });
      open = null;
    } else if (open) open.lines.push(line);
    else prose.push({ line, n: i + 1 });
  });
  return { fences, prose };
}

/** GitHub's anchors for the headings of a Markdown text. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of parseMarkdown(text).prose) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets in the prose of a Markdown text (inline code left out). */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const { line } of parseMarkdown(text).prose) {
    const code = line.replace(/`[^`]*`/g, "");
    for (const m of code.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  }
  return targets;
}

describe("README.md", () => {
  const text = read(README);
  const { fences, prose } = parseMarkdown(text);

  it("is at most 260 lines, with no prose line over 160 characters", () => {
    expect(text.split("\n").length).toBeLessThanOrEqual(260);
    const long = prose.filter(({ line }) => line.length > 160).map(({ n }) => `line ${n}`);
    expect(long).toEqual([]);
  });

  it("opens with the two commands: start, then test", () => {
    expect(fences.slice(0, 2).map((f) => f.body.trim())).toEqual([
      "npm install && npm start",
      "npm install && npm test",
    ]);
    expect(text).toMatch(/better-sqlite3[^]*python3[^]*make[^]*C\+\+/);
  });
});

describe("links", () => {
  const files = markdownFiles();

  it.each(files)("every relative link in %s points to a file (and heading) that exists", (file) => {
    const broken: string[] = [];
    for (const target of linkTargets(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [path, anchor] = target.split("#", 2);
      const resolved = path
        ? resolve(ROOT, dirname(file), decodeURIComponent(path))
        : join(ROOT, file);
      if (!resolved.startsWith(ROOT + "/") || !existsSync(resolved)) {
        broken.push(`${target} (no such file)`);
        continue;
      }
      if (anchor && resolved.endsWith(".md")) {
        if (!anchors(readFileSync(resolved, "utf8")).has(anchor)) {
          broken.push(`${target} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("the documentation stands on its own", () => {
  it.each(markdownFiles())("%s cites nothing outside the repository", (file) => {
    const text = read(file);
    expect(text).not.toMatch(/CONTRACT\.md|DESIGN\.md|STACK\.md|\.\.\/shared|\/work\/shared/);
    expect(text).not.toMatch(/\b(issue|session) #?\d+/i);
  });
});

describe("docs/configuration.md", () => {
  // The variables the server reads are the keys of ENVIRONMENT, with their defaults.
  const names = new Set(Object.keys(ENVIRONMENT));
  const doc = read("docs/configuration.md");
  const rows = new Map(
    [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^\n]*)$/gm)].map((m) => [m[1], m[2]]),
  );

  it("documents every variable src/config.ts reads", () => {
    expect(names.size).toBeGreaterThan(30);
    expect([...names].filter((name) => !rows.has(name))).toEqual([]);
  });

  it("documents no variable in its tables that src/config.ts does not read", () => {
    expect([...rows.keys()].filter((name) => !names.has(name))).toEqual([]);
  });

  it("gives each variable's default as src/config.ts has it", () => {
    const wrong = Object.entries(ENVIRONMENT).filter(([name, spec]) => {
      const fallback = (spec as { default?: unknown }).default;
      if (fallback === undefined || name === "NODE_ENV") return false;
      const cell = rows.get(name)?.split("|")[0] ?? "";
      return !cell.includes(`\`${String(fallback)}\``);
    });
    expect(wrong.map(([name]) => name)).toEqual([]);
  });
});

describe("docs/api.md", () => {
  it("numbers the contract's rules 1 to 15, in order", () => {
    const text = read("docs/api.md");
    const section = text.slice(text.indexOf("## The rules"));
    const rules = section.slice(0, section.indexOf("\n## ", 1));
    const numbers = [...rules.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });
});

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

describe("the README's curl quick start", () => {
  it.skipIf(!has("bash") || !has("curl"))(
    "runs as written: Ada's watcher prints Charles's decline and its message",
    async () => {
      const text = read(README);
      const start = text.indexOf(QUICK_START);
      expect(start, `README.md has a "${QUICK_START}" section`).toBeGreaterThanOrEqual(0);
      const end = text.indexOf("\n## ", start + QUICK_START.length);
      const blocks = parseMarkdown(text.slice(start, end < 0 ? undefined : end)).fences;
      const shell = blocks.filter((b) => ["sh", "bash", "shell"].includes(b.lang));
      const watcher = blocks.find((b) => b.lang === "js" && b.body.includes("watch-declines.mjs"));
      expect(watcher, "a js block for watch-declines.mjs").toBeDefined();
      const decline = shell.findIndex((b) => b.body.includes("declineInvitation"));
      expect(decline, "a shell block that declines").toBeGreaterThan(0);
      expect(shell.slice(0, decline).some((b) => /node watch-declines\.mjs\s*&/.test(b.body))).toBe(
        true,
      );
      const message = /message="([^"]+)"/.exec(shell[decline].body)?.[1];
      expect(message, "the decline block gives a message").toBeDefined();

      const server = await startTestServer();
      // The script must live where Node finds the project's graphql-ws and ws, as the README
      // says; under node_modules it leaves nothing in the working tree.
      const dir = mkdtempSync(join(ROOT, "node_modules", ".docs-test-"));
      const ready = join(dir, "subscribed");
      const stopWaiting = whenSubscribed(server, "invitationDeclined", () =>
        writeFileSync(ready, ""),
      );
      let child: ReturnType<typeof spawn> | null = null;
      try {
        writeFileSync(join(dir, "watch-declines.mjs"), watcher!.body + "\n");
        // The README's blocks in order, as one terminal session would run them; before the
        // decline, wait (as a reader would) until the server says the watcher listens.
        const script = [
          "set -euo pipefail",
          ...shell.slice(0, decline).map((b) => b.body),
          'for _ in $(seq 1 400); do [ -e "$DOCS_TEST_READY" ] && break; sleep 0.05; done',
          '[ -e "$DOCS_TEST_READY" ] || { echo "the watcher never subscribed" >&2; exit 1; }',
          ...shell.slice(decline).map((b) => b.body),
          "wait",
        ].join("\n");
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          API: `http://127.0.0.1:${server.port}`,
          DOCS_TEST_READY: ready,
        };
        delete env.TOKEN;
        delete env.NODE_OPTIONS;
        child = spawn("bash", ["-c", script], { cwd: dir, env, detached: true });
        const output = await new Promise<string>((resolveOutput, reject) => {
          let out = "";
          let err = "";
          const timer = setTimeout(
            () => reject(new Error(`no decline printed in 45 s\n${out}\n${err}`)),
            45_000,
          );
          child!.stdout!.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (/^declined: .*$/m.test(out) && /"declineInvitation"/.test(out)) {
              clearTimeout(timer);
              resolveOutput(out);
            }
          });
          child!.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
          child!.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the quick start stopped (exit ${code})\n${out}\n${err}`));
          });
        });

        const lines = output.split("\n");
        const answer = JSON.parse(lines.find((l) => l.includes('"declineInvitation"'))!);
        expect(answer.errors).toBeUndefined();
        expect(answer.data.declineInvitation).toMatchObject({
          status: "DECLINED",
          responseMessage: message,
        });
        const printed = lines.find((l) => l.startsWith("declined: "))!;
        expect(JSON.parse(printed.slice("declined: ".length))).toEqual({
          invitationDeclined: {
            message,
            invitation: { id: answer.data.declineInvitation.id, status: "DECLINED" },
          },
        });
      } finally {
        stopWaiting();
        if (child?.pid && child.exitCode === null) {
          try {
            process.kill(-child.pid, "SIGTERM"); // bash and the watcher it started
          } catch {
            // already gone
          }
        }
        rmSync(dir, { recursive: true, force: true });
        await server.stop();
      }
    },
    60_000,
  );
});

/**
 * Calls `done` once a subscription to `field` listens on `server`: told by the server (its
 * `events` emitter, or the WebSocket transport's diagnostics channel), or else seen in its
 * `graphql_subscriptions_active` gauge. Returns a function that stops listening.
 */
function whenSubscribed(
  server: Awaited<ReturnType<typeof startTestServer>>,
  field: string,
  done: () => void,
): () => void {
  let fired = false;
  const fire = (event: unknown) => {
    if (fired || (event as { field?: unknown } | null)?.field !== field) return;
    fired = true;
    done();
  };
  const events = (server as { events?: NodeJS.EventEmitter }).events;
  events?.on("subscribed", fire);
  const channelName = "invitations:ws:subscribed";
  subscribeChannel(channelName, fire);
  const metrics = `http://127.0.0.1:${server.port}/metrics`;
  const gauge = new RegExp(`^graphql_subscriptions_active\\{[^}]*"${field}"[^}]*\\} [1-9]`, "m");
  const poll = setInterval(() => {
    fetch(metrics)
      .then((res) => res.text())
      .then((body) => {
        if (gauge.test(body)) fire({ field });
      })
      .catch(() => undefined);
  }, 200);
  return () => {
    clearInterval(poll);
    events?.off("subscribed", fire);
    unsubscribeChannel(channelName, fire);
  };
}
