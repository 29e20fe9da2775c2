import type { DataSource } from "typeorm";

/**
 * What a write transaction may have changed, as far as reads are concerned: the reads of a
 * few members, or everybody's. `Writer` hands one to every transaction; a transaction
 * that says nothing changed everybody's reads (the safe default).
 */
export class ChangeScope {
  private members: Set<string> | null = new Set();
  private everyone = false;

  /** Only these members' reads can tell the difference (until something widens it). */
  touch(...memberIds: string[]): void {
    for (const id of memberIds) this.members?.add(id);
  }

  /** Anyone's reads may differ: a connection moves degrees and mutual counts of others. */
  touchEveryone(): void {
    this.everyone = true;
    this.members = null;
  }

  /** The members touched, or null for everyone (also when nothing was declared). */
  get touched(): ReadonlySet<string> | null {
    return this.everyone || !this.members?.size ? null : this.members;
  }
}

/** Bounds the per-member counters; past it they start over (and everyone's reads are new). */
const MAX_MEMBERS = 1_000_000;

/**
 * Versions of the data, for the response cache (transport/response-cache.ts): an answer computed
 * for a viewer at a stamp is still the answer as long as `isCurrent(stamp)`.
 *
 * Two counters: one that every write visible to everyone moves, and one per member that the
 * writes visible to that member alone move (an ignore moves only the recipient's, so nothing
 * of the sender's, not even the speed of their next read, depends on it). Writes by another
 * process on the same SQLite file (`npm run jobs`, a second server) are noticed through
 * SQLite's `PRAGMA data_version`, which changes when another connection commits.
 */
export class DataVersions {
  private everyone = 0;
  private readonly members = new Map<string, number>();
  private lastExternal: unknown = undefined;
  private checkedThisTurn = false;

  constructor(private readonly externalVersion: (() => unknown) | null = null) {}

  /** For a SQLite data source: watches other connections' commits. */
  static forDataSource(dataSource: DataSource): DataVersions {
    if (dataSource.options.type !== "better-sqlite3") return new DataVersions();
    const driver = dataSource.driver as unknown as {
      databaseConnection: { prepare(sql: string): { pluck(): { get(): unknown } } };
    };
    const statement = driver.databaseConnection.prepare("PRAGMA data_version").pluck();
    return new DataVersions(() => statement.get());
  }

  /** The versions an answer for `memberId` computed from now on depends on. */
  stamp(memberId: string): Stamp {
    this.checkExternal();
    return { everyone: this.everyone, member: this.members.get(memberId) ?? 0 };
  }

  /** Whether nothing that `memberId`'s reads depend on changed since `stamp`. */
  isCurrent(memberId: string, stamp: Stamp): boolean {
    this.checkExternal();
    return stamp.everyone === this.everyone && stamp.member === (this.members.get(memberId) ?? 0);
  }

  /** Records a write: the members it touched, or null for everyone. */
  changed(touched: ReadonlySet<string> | null): void {
    if (touched === null) {
      this.everyone++;
      return;
    }
    if (this.members.size + touched.size > MAX_MEMBERS) {
      this.members.clear();
      this.everyone++;
    }
    for (const id of touched) this.members.set(id, (this.members.get(id) ?? 0) + 1);
  }

  /**
   * Once per turn of the event loop: the pragma takes SQLite's shared lock, and cost about 6%
   * of the server's CPU asked per request (in a profile). Every request handled in a turn was
   * read before the turn began, so a commit by another process that the check misses during
   * the turn is concurrent with all of them and may be ordered after them; the next turn sees
   * it, and an answer computed meanwhile was stamped before it, so it is not kept.
   */
  private checkExternal(): void {
    if (!this.externalVersion || this.checkedThisTurn) return;
    this.checkedThisTurn = true;
    setImmediate(() => (this.checkedThisTurn = false));
    const version = this.externalVersion();
    if (version !== this.lastExternal) {
      this.lastExternal = version;
      this.everyone++;
    }
  }
}

export interface Stamp {
  everyone: number;
  member: number;
}
