/**
 * Layers point one way (docs/architecture.md): each part of src/ imports only the parts below
 * it, and only src/config.ts reads the environment. A new import that points up fails here,
 * naming the file, the import and what its layer may import.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "..", "src");

const FEATURES = [
  "account",
  "auth",
  "blocks",
  "connections",
  "invitations",
  "jobs",
  "members",
  "notifications",
  "settings",
];

/** Every part of src/ (a folder, or a file at the top) and the parts it may import. */
const MAY_IMPORT: Record<string, string[]> = {
  common: [],
  db: ["common"],
  config: ["common"],
  security: ["common", "config"],
  observability: ["common", "config", "db"],
  // Mail is infrastructure, as the database is: features write mail, mail knows no feature.
  mail: ["common", "config", "db"],
  deps: ["common", "config", "db", "mail"],
  ...Object.fromEntries(
    FEATURES.map((f) => [f, ["common", "config", "db", "deps", "mail", "security", ...FEATURES]]),
  ),
  entities: [...FEATURES, "mail"],
  loaders: ["common", "db", ...FEATURES],
  services: ["deps", ...FEATURES],
  context: ["common", "deps", "loaders", "services"],
  schema: ["common", ...FEATURES],
  app: ["common", "config", "db", "deps", "entities", "mail", "services"],
  health: ["app"],
  explorer: ["config"],
  // The transports know the request's context and who holds a token (auth); no other feature.
  transport: [
    "app",
    "auth",
    "common",
    "config",
    "context",
    "db",
    "explorer",
    "observability",
    "security",
  ],
  main: ["common", "config", "observability", "server"],
};
// The composition root may import every part but the entry point.
MAY_IMPORT.server = Object.keys(MAY_IMPORT).filter((part) => part !== "main");

/** A resolver resolves fields of a request: it may also import the request's context. */
const RESOLVER_MAY_ALSO = ["context", "loaders"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** The part of src/ a file belongs to: its top folder, or its own name at the top. */
function partOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split(sep);
  return rest.length === 0 ? first.replace(/\.ts$/, "") : first;
}

/** The relative module specifiers a file imports or re-exports, static or dynamic. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.[^"']*)["']/g;
  for (const match of text.matchAll(pattern)) found.push(match[1]);
  return found;
}

const files = sources(SRC).filter((f) => !f.includes(`${sep}migrations${sep}`));

describe("layers", () => {
  it("every part of src/ is known to this test", () => {
    const unknown = [...new Set(files.map(partOf))].filter((p) => !(p in MAY_IMPORT));
    expect(unknown, "add the new part to MAY_IMPORT with what it may import").toEqual([]);
  });

  it("each part imports only the parts below it", () => {
    const violations: string[] = [];
    for (const file of files) {
      const part = partOf(file);
      const allowed = new Set([part, ...(MAY_IMPORT[part] ?? [])]);
      if (file.endsWith(".resolver.ts")) for (const p of RESOLVER_MAY_ALSO) allowed.add(p);
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC + sep)) continue;
        const to = partOf(target.endsWith(".ts") ? target : `${target}.ts`);
        if (!allowed.has(to)) {
          violations.push(
            `src/${relative(SRC, file)} imports "${spec}" (${to}); ${part} may import: ${
              [...allowed].filter((p) => p !== part).join(", ") || "nothing in src/"
            }`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("only src/config.ts reads the environment", () => {
    const readers = files
      .filter((f) => /\bprocess\.env\b/.test(readFileSync(f, "utf8")))
      .map((f) => `src/${relative(SRC, f)}`);
    expect(readers).toEqual(["src/config.ts"]);
  });

  it("a lower layer importing a higher one is caught", () => {
    // The check itself, on a made-up file: db/ importing a feature.
    const fake = join(SRC, "db", "fake.ts");
    const spec = "../members/member.entity";
    const to = partOf(resolve(dirname(fake), spec) + ".ts");
    expect(to).toBe("members");
    expect(MAY_IMPORT[partOf(fake)]).not.toContain(to);
    expect(importsOf(`import { Member } from "${spec}";`)).toEqual([spec]);
  });
});
