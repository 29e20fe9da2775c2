/**
 * The repository stands on its own: every file a comment in src/, test/, scripts/ or web/
 * names (docs/..., src/..., a .md file) exists in it, and no comment cites a document that
 * lives elsewhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");
const FOLDERS = ["src", "test", "scripts", "web"];
const SKIP = ["test/generated", "scripts/bench/results"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.some((s) => path === join(ROOT, s))) return [];
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mts|tsx|graphql|html|css)$/.test(path) ? [path] : [];
  });
}

// This file names example paths in its comments and patterns.
const all = FOLDERS.flatMap((f) => files(join(ROOT, f))).filter((f) => f !== __filename);

/** Paths from the repository's root as text names them: `docs/x.md`, `src/a/b.ts`. */
const PATH = /\b(?:docs|src|test|scripts|web)\/[\w./-]*\w\.(?:md|ts|mts|tsx|graphql|json|png)\b/g;
/** Documents that belong to no repository here, and the history of how the code came to be. */
const FOREIGN = /\b(?:CONTRACT|DESIGN|STACK|DEVELOPERS)\.md\b|\.\.\/shared\b|\b[Ii]ssue \d+\b/;

describe("references", () => {
  it("every repository path named in a source file exists", () => {
    const missing: string[] = [];
    for (const file of all) {
      for (const match of readFileSync(file, "utf8").matchAll(PATH)) {
        if (!existsSync(join(ROOT, match[0]))) missing.push(`${relative(ROOT, file)}: ${match[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("no source file cites a document outside the repository, or an issue number", () => {
    const foreign = all.filter((f) => FOREIGN.test(readFileSync(f, "utf8")));
    expect(foreign.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
