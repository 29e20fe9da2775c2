/**
 * `npm run bench:profile -- FILE.cpuprofile [--top=N]`: a text summary of a V8 CPU profile
 * written by `npm run bench -- --cpu-prof=DIR`: self time by package (or our own source
 * folder) and the hottest functions, so a profile can be read and quoted without a browser.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/@scope/pkg/...` -> `@scope/pkg`; our files -> `src/<folder>`; else a label. */
function groupOf(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const own = /\/(src|scripts)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2].replace(/\.js$/, "")}`;
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  return url;
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith("--"));
  if (!file) {
    process.stderr.write("usage: npm run bench:profile -- FILE.cpuprofile [--top=N]\n");
    process.exit(2);
  }
  const top = Number(/--top=(\d+)/.exec(argv.join(" "))?.[1] ?? 25);
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + time);
    const key = `${functionName || "(anonymous)"}  ${group}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + time);
  }
  const pct = (t: number) => ((100 * t) / busy).toFixed(1).padStart(5) + "%";
  const print = (title: string, rows: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, t] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${pct(t)}  ${k}\n`);
    }
  };
  process.stdout.write(
    `${file}\nbusy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled\n`,
  );
  print("self time by package / source folder (share of busy time)", groups);
  print("hottest functions (self time)", functions);
}

main(process.argv.slice(2));
