import { GraphQLError } from "graphql";
import { ErrorCode } from "../common/errors";

/**
 * The close code for a member over their connection limit: 4400 + HTTP's 429, in the way of
 * graphql-ws's own codes (`CloseCode`: 4403 for a bad or expired token, 4408 when
 * `connection_init` does not come in time; it uses 4429 for too many `connection_init`s).
 */
export const TOO_MANY_CONNECTIONS = 4429;

/**
 * How many connections each member holds open on this instance: WebSockets, and the SSE
 * transport's event streams when it is handed the same instance. A slot is taken when the
 * connection is acknowledged (a stream: once its token is checked) and given back when it
 * closes.
 */
export class MemberSockets {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerMember: number) {}

  /** Takes a slot for the member; false when they already hold the maximum. */
  acquire(memberId: string): boolean {
    const n = this.open.get(memberId) ?? 0;
    if (n >= this.maxPerMember) return false;
    this.open.set(memberId, n + 1);
    return true;
  }

  release(memberId: string): void {
    const n = this.open.get(memberId) ?? 0;
    if (n <= 1) this.open.delete(memberId);
    else this.open.set(memberId, n - 1);
  }
}

// setTimeout takes at most 2^31-1 ms (about 24.8 days); a longer delay fires at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Calls `onExpire` at `expiresAtMs` (epoch milliseconds, as a token's `exp` × 1000), chaining
 * timers for delays longer than setTimeout allows. Returns a function that cancels it.
 */
export function atExpiry(expiresAtMs: number, onExpire: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAtMs - Date.now();
    if (left <= 0) return onExpire();
    timer = setTimeout(arm, Math.min(left, MAX_TIMEOUT_MS));
  };
  arm();
  return () => clearTimeout(timer);
}

/** The refusal of an operation over the per-connection limit (an `error` message for its id). */
export function tooManyOperations(max: number): GraphQLError {
  return new GraphQLError(
    `At most ${max} operations may run at once on one connection; complete one first.`,
    { extensions: { code: ErrorCode.RATE_LIMITED, limit: max } },
  );
}
