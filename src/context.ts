import type { IncomingMessage } from "node:http";
import { unauthenticated } from "./common/errors";
import type { Deps } from "./deps";
import { createLoaders, type Loaders } from "./loaders";
import type { Services } from "./services";

/** What every resolver receives: who is asking, the services, and this request's loaders. */
export interface Context {
  viewerId: string | null;
  services: Services;
  loaders: Loaders;
  deps: Deps;
  /** The client's address as rate limits count it. */
  clientIp: string;
  /** The HTTP request behind the operation (none over WebSocket), for its log line. */
  request?: IncomingMessage;
}

/**
 * The context of one operation. Its loaders are made on first use: many operations (and
 * every idle subscription) need none. The getter lives on the prototype on purpose: Apollo
 * copies the context with `Object.assign` onto an object of the same prototype, which would
 * call an own getter (building the loaders on every request) but keeps this one lazy.
 */
export class OperationContext implements Context {
  private made?: Loaders;

  constructor(
    public viewerId: string | null,
    public services: Services,
    public deps: Deps,
    public clientIp: string,
    /** Whether the loaders cache what they load: not for a subscription, which lives for hours. */
    private readonly cacheLoaders: boolean,
    public request?: IncomingMessage,
  ) {}

  get loaders(): Loaders {
    return (this.made ??= createLoaders(this.deps.reads, this.viewerId, this.cacheLoaders));
  }

  set loaders(value: Loaders) {
    this.made = value;
  }
}

/** The id of the member making the request; UNAUTHENTICATED without one. */
export function requireViewer(ctx: Context): string {
  if (!ctx.viewerId) throw unauthenticated();
  return ctx.viewerId;
}

/**
 * Drops what this request's loaders cached after a mutation that changes who is connected
 * or blocked, so later fields of the same operation see the change (rule 9: "at once").
 */
export function refreshLoaders(ctx: Context): void {
  ctx.loaders = createLoaders(ctx.deps.reads, ctx.viewerId);
}
