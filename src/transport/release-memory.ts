import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * V8's full garbage collection, without starting node with `--expose-gc`: the flag set at
 * run time exposes `gc` to contexts made afterwards (one throwaway context here), not to the
 * application's own global. Null where the flag cannot be set.
 */
function fullGc(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // Twice: the first frees the objects, the second the pages they left empty (a single
    // collection leaves much of the old space committed).
    return () => {
      gc();
      gc();
    };
  } catch {
    return null;
  }
}

/**
 * Gives back the memory of a wave of closed WebSockets.
 *
 * When thousands of sockets close at once and the server then goes quiet, V8 keeps their
 * garbage until its next major collection, which an idle server may not run for a long time:
 * its memory stays at its peak. So, once at least `threshold` sockets closed since the last
 * time and no socket closed for `quietMs`, one full collection runs: the server pauses for it
 * (tens of milliseconds; it grows with the heap still in use), once per wave. The bench's
 * idle-sockets scenario measures it; docs/decisions/gc-after-socket-wave.md has the numbers.
 */
export class ReleaseAfterWave {
  private closed = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly collect: (() => void) | null;

  constructor(
    private readonly threshold: number,
    private readonly quietMs: number,
    collect: (() => void) | null = fullGc(),
    private readonly onRelease: (info: { closed: number; ms: number }) => void = () => {},
  ) {
    this.collect = collect;
  }

  /** Called for every socket that closed. */
  socketClosed(): void {
    if (!this.collect) return;
    this.closed++;
    if (this.closed < this.threshold) return;
    if (this.timer) this.timer.refresh();
    // Unref'd: a pending release never keeps a stopping process alive.
    else this.timer = setTimeout(() => this.release(), this.quietMs).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private release(): void {
    this.timer = null;
    const closed = this.closed;
    this.closed = 0;
    const start = performance.now();
    this.collect!();
    this.onRelease({ closed, ms: performance.now() - start });
  }
}
