import type { DataSource } from "typeorm";

/**
 * Whose reads a write transaction changed: the members whose answers may differ afterwards,
 * and whether the directory (every member's `member`, `members`, `suggestedMembers`: a new
 * member appears in them) changed. Derived from the transaction's effects and declared by the
 * transaction itself (`written`); there is no "everyone" to fall back on.
 */
export class Changes {
  private constructor(
    readonly members: ReadonlySet<string>,
    readonly directory: boolean,
  ) {}

  /** Nothing anyone can read changed (a write that found nothing to do). */
  static readonly none = new Changes(new Set(), false);

  /** Only these members' reads can tell the difference. */
  static of(...memberIds: string[]): Changes {
    return new Changes(new Set(memberIds), false);
  }

  /** The directory changed (a sign-up), and these members' own reads. */
  static directory(...memberIds: string[]): Changes {
    return new Changes(new Set(memberIds), true);
  }

  /** Both changes. */
  and(other: Changes): Changes {
    if (other.members.size === 0 && !other.directory) return this;
    if (this.members.size === 0 && !this.directory) return other;
    return new Changes(
      new Set([...this.members, ...other.members]),
      this.directory || other.directory,
    );
  }

  get empty(): boolean {
    return this.members.size === 0 && !this.directory;
  }
}

/**
 * The version key of a member's existence: moved only by the deletion of their account, so
 * that who holds a token can be remembered across the member's ordinary writes (their own
 * key moves with each of those). No answer of the response cache reads it.
 */
export function existenceKey(memberId: string): string {
  return `exists:${memberId}`;
}

/** A transaction's result with what it changed: the only thing a transaction may return. */
export interface Written<T> {
  readonly result: T;
  readonly changes: Changes;
}

/** `return written(result, Changes.of(a, b))` at the end of a transaction. */
export function written<T>(result: T, changes: Changes): Written<T> {
  return { result, changes };
}

/**
 * The versions an answer depends on, as one comparable string: equal stamps mean nothing the
 * answer reads changed in between.
 */
export type Stamp = string;

/**
 * Versions of the data, for the response cache (transport/response-cache.ts): an answer
 * computed for a viewer at one stamp is still the answer while the viewer's stamp is the same.
 * The writer reports every transaction's `Changes` here before its caller hears back.
 */
export interface VersionStore {
  /**
   * The stamp of `memberId`'s reads now (with the directory's when `directory`), or null when
   * the store cannot vouch for anything (Redis unreachable): the cache is then not used.
   */
  stamp(memberId: string, directory: boolean): Stamp | null | Promise<Stamp | null>;
  /** Records a committed transaction's changes. */
  changed(changes: Changes): void | Promise<void>;
  /** Tells the cache when the store lost what it vouches with, so it drops what it holds. */
  whenLost?(onLost: () => void): void;
  close?(): Promise<void>;
}

/** Bounds the per-member counters; past it they start over under a new epoch. */
const MAX_MEMBERS = 1_000_000;

/**
 * One process's versions (SQLite): an epoch, the directory's counter and one counter per
 * member. Writes by another process on the same file (`npm run jobs`, a second server) are
 * noticed through SQLite's `PRAGMA data_version`, which changes when another connection
 * commits; such a write declares nothing here, so it moves the epoch (every answer).
 */
export class LocalVersions implements VersionStore {
  private epoch = 0;
  private directory = 0;
  private readonly members = new Map<string, number>();
  private lastExternal: unknown = undefined;
  private checkedThisTurn = false;

  constructor(private readonly externalVersion: (() => unknown) | null = null) {}

  /** For a SQLite data source: watches other connections' commits. */
  static forSqlite(dataSource: DataSource): LocalVersions {
    const driver = dataSource.driver as unknown as {
      databaseConnection: { prepare(sql: string): { pluck(): { get(): unknown } } };
    };
    const statement = driver.databaseConnection.prepare("PRAGMA data_version").pluck();
    return new LocalVersions(() => statement.get());
  }

  stamp(memberId: string, directory: boolean): Stamp {
    this.checkExternal();
    const member = this.members.get(memberId) ?? 0;
    return `${this.epoch}:${member}:${directory ? this.directory : ""}`;
  }

  changed(changes: Changes): void {
    if (changes.directory) this.directory++;
    if (this.members.size + changes.members.size > MAX_MEMBERS) {
      this.members.clear();
      this.epoch++;
    }
    for (const id of changes.members) this.members.set(id, (this.members.get(id) ?? 0) + 1);
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
      this.epoch++;
    }
  }
}
