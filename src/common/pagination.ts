import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import { Arg, ClassType, Field, Int, ObjectType } from "type-graphql";
import { badInput } from "./errors";

/** Relay page info. */
@ObjectType({ simpleResolvers: true, description: "Where a page sits in its list." })
export class PageInfo {
  @Field({ description: "Whether more items follow this page." })
  hasNextPage: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the last item on this page." })
  endCursor: string | null;
}

/** The parts of a connection shared by every list: edges, page info, total. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, {
    simpleResolvers: true,
    description: `One ${name} in a list, with its cursor.`,
  })
  class Edge {
    @Field({ description: "Opaque cursor: pass it as `after` to continue after this item." })
    cursor: string;

    @Field(() => node, { description: "The item." })
    node: T;
  }

  @ObjectType(`${name}Connection`, {
    simpleResolvers: true,
    description: `A page of ${name} items (Relay connection).`,
  })
  class Connection {
    @Field(() => [Edge], { description: "The items of this page, in order." })
    edges: Edge[];

    @Field(() => PageInfo, { description: "Where this page sits in the list." })
    pageInfo: PageInfo;

    @Field(() => Int, { description: "How many items the whole list holds." })
    totalCount: number;
  }
  return Connection;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** Counted only when a client asks for the field (a getter): the count is the costly part. */
  readonly totalCount: number | Promise<number>;
}

/** The same page with each node mapped, keeping `totalCount` lazy. */
export function mapPage<A, B>(page: Page<A>, fn: (node: A) => B): Page<B> {
  return lazyTotal(
    {
      edges: page.edges.map((e) => ({
        node: fn(e.node),
        get cursor() {
          return e.cursor;
        },
      })),
      pageInfo: page.pageInfo,
    },
    () => page.totalCount,
  );
}

/** An edge whose cursor is computed on first read (then kept). */
function lazyEdge<T>(cursorOf: () => string, node: T): { cursor: string; node: T } {
  let memo: string | undefined;
  return Object.defineProperty({ node } as { cursor: string; node: T }, "cursor", {
    get: () => (memo ??= cursorOf()),
    enumerable: true,
  });
}

function lazyTotal<T>(
  page: Omit<Page<T>, "totalCount">,
  count: () => number | Promise<number>,
): Page<T> {
  let memo: number | Promise<number> | undefined;
  return Object.defineProperty(page, "totalCount", {
    get: () => (memo ??= count()),
    enumerable: true,
  }) as Page<T>;
}

/** Checks `first` against the configured range; `undefined` means the default. */
export function pageSize(first: number | null | undefined, dflt: number, max: number): number {
  if (first === undefined || first === null) return dflt;
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badInput(`first must be between 1 and ${max}.`, "first");
  }
  return first;
}

/**
 * The scope a list's cursors are sealed to: the viewer, the list (its field and parent) and the
 * arguments that shape it (not `first` and `after`). A cursor from any other list, viewer or
 * arguments does not open (`BAD_USER_INPUT`): a position in one list is no position in another,
 * and one list's cursor in another would tell what the first list hides (when a contact
 * connected, read through a list that shows times).
 */
export function listScope(
  viewerId: string,
  list: string,
  args: Record<string, unknown> = {},
): string {
  const shaped = Object.keys(args)
    .sort()
    .map((k) => [k, args[k] ?? null]);
  return JSON.stringify([viewerId, list, shaped]);
}

/**
 * Sealed cursors. A cursor is AES-256-GCM sealed, not just base64: a readable cursor would show
 * what it encodes, such as a notification's per-member sequence number, whose gaps would tell a
 * member that notifications exist which a block now hides from them. The nonce is an HMAC of
 * the content, so one position always gives the same cursor. A per-member position is also
 * sealed to its member (`scope`, authenticated with the cursor): otherwise seq 5 would give the
 * same cursor for everyone, and a second account could map cursors back to numbers. The key is
 * derived from the server's secret, so every instance that shares the secret reads the others'
 * cursors.
 */
export class Cursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash("sha256").update(`invitations-cursor:${secret}`).digest();
  }

  /** Seals a keyset position (sort values + id); with `scope` only the same scope opens it. */
  encode(parts: (string | number)[], scope = ""): string {
    const plain = Buffer.from(JSON.stringify(parts));
    const nonce = createHmac("sha256", this.key)
      .update(scope + "\u0000")
      .update(plain)
      .digest()
      .subarray(0, 12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(Buffer.from(scope));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString("base64url");
  }

  /**
   * The position inside a cursor made by `encode` with parts of the given kinds; anything
   * else, including numbers no database column could hold, is BAD_USER_INPUT (never a 500).
   */
  decode(
    cursor: string | null | undefined,
    kinds: CursorPart[],
    scope = "",
  ): (string | number)[] | null {
    if (cursor === undefined || cursor === null) return null;
    try {
      const parts: unknown = JSON.parse(this.open(cursor, scope));
      if (
        Array.isArray(parts) &&
        parts.length === kinds.length &&
        parts.every((p, i) => fits(p, kinds[i]))
      ) {
        return parts as (string | number)[];
      }
    } catch {
      // fall through to the error below
    }
    throw badInput("after is not a valid cursor.", "after");
  }

  /** The parts inside a cursor, unchecked (tests look into cursors; clients cannot). */
  parts(cursor: string, scope = ""): unknown[] {
    return JSON.parse(this.open(cursor, scope)) as unknown[];
  }

  /** The JSON inside a cursor made by `encode`; throws if it was not made with this key. */
  private open(cursor: string, scope: string): string {
    const raw = Buffer.from(cursor, "base64url");
    if (raw.length < 12 + 16) throw new Error("too short");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(scope));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([
      decipher.update(raw.subarray(12, raw.length - 16)),
      decipher.final(),
    ]).toString("utf8");
  }
}

/**
 * What one cursor part may be: any string, a count or sequence number (an integer that fits
 * a 32-bit column), or a point in time in epoch milliseconds (a valid Date).
 */
export type CursorPart = "string" | "int" | "time";

const MAX_INT = 2 ** 31 - 1;
const MAX_TIME = 8.64e15; // the range of a JavaScript Date

function fits(value: unknown, kind: CursorPart): boolean {
  if (kind === "string") return typeof value === "string" && !value.includes("\u0000");
  if (typeof value !== "number" || !Number.isInteger(value)) return false;
  return kind === "int" ? value >= 0 && value <= MAX_INT : Math.abs(value) <= MAX_TIME;
}

/**
 * Builds a page from `size + 1` fetched rows (the extra one only tells whether more follow).
 * `count` runs only if the client selected `totalCount`.
 */
export function toPage<R, T>(
  rows: R[],
  size: number,
  count: () => Promise<number>,
  cursorOf: (row: R) => string,
  nodeOf: (row: R) => T,
): Page<T> {
  const hasNextPage = rows.length > size;
  const items = rows.slice(0, size);
  // Cursors are sealed (an HMAC and an AES-GCM pass each): made only if the client selects
  // `cursor` or `endCursor`, which most reads of a first page do not.
  const edges = items.map((r) => lazyEdge(() => cursorOf(r), nodeOf(r)));
  const last = edges[edges.length - 1];
  const pageInfo = Object.defineProperty({ hasNextPage } as PageInfo, "endCursor", {
    get: () => (last ? last.cursor : null),
    enumerable: true,
  });
  return lazyTotal({ edges, pageInfo }, count);
}

/** The `first` argument every list takes. */
export const FirstArg = () =>
  Arg("first", () => Int, { nullable: true, description: "Page size (default 20, max 100)." });

/** The `after` argument every list takes. */
export const AfterArg = () =>
  Arg("after", () => String, { nullable: true, description: "Cursor to continue after." });
