/**
 * ReleaseAfterWave (src/transport/release-memory.ts): one full collection after a wave of closed
 * sockets, and V8's real collector behind it.
 */
import { describe, expect, it } from "vitest";
import { ReleaseAfterWave } from "../src/transport/release-memory";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ReleaseAfterWave", () => {
  it("collects once, after `threshold` closes and a quiet spell", async () => {
    const runs: number[] = [];
    const wave = new ReleaseAfterWave(3, 30, () => runs.push(Date.now()));
    wave.socketClosed();
    wave.socketClosed();
    await wait(60);
    expect(runs, "two closes are not a wave").toHaveLength(0);
    wave.socketClosed();
    await wait(10);
    wave.socketClosed(); // still closing: the quiet spell starts again
    await wait(10);
    expect(runs).toHaveLength(0);
    await wait(60);
    expect(runs).toHaveLength(1);
    await wait(60);
    expect(runs, "once per wave").toHaveLength(1);
    for (let i = 0; i < 3; i++) wave.socketClosed();
    await wait(60);
    expect(runs, "the next wave counts from zero").toHaveLength(2);
    wave.stop();
  });

  it("reports what it released", async () => {
    const seen: { closed: number; ms: number }[] = [];
    const wave = new ReleaseAfterWave(
      2,
      5,
      () => {},
      (info) => seen.push(info),
    );
    for (let i = 0; i < 4; i++) wave.socketClosed();
    await wait(30);
    expect(seen).toHaveLength(1);
    expect(seen[0].closed).toBe(4);
    expect(seen[0].ms).toBeGreaterThanOrEqual(0);
  });

  it("does nothing after stop()", async () => {
    let runs = 0;
    const wave = new ReleaseAfterWave(1, 5, () => runs++);
    wave.socketClosed();
    wave.stop();
    await wait(30);
    expect(runs).toBe(0);
  });

  it("runs V8's own collector: garbage no longer counts as used heap", async () => {
    let ran = false;
    // The default collector (no injected one): V8's, exposed at run time.
    const wave = new ReleaseAfterWave(1, 1, undefined, () => (ran = true));
    const garbage: object[] = [];
    for (let i = 0; i < 300_000; i++) garbage.push({ i, s: `item ${i}` });
    const withGarbage = process.memoryUsage().heapUsed;
    garbage.length = 0; // the objects are unreachable from here on
    wave.socketClosed();
    await wait(50);
    expect(ran).toBe(true);
    expect(withGarbage - process.memoryUsage().heapUsed).toBeGreaterThan(10 * 1024 * 1024);
  });
});
