import type { Context } from "../context";
import { unauthenticated } from "./errors";

/** The id of the member making the request; UNAUTHENTICATED without one. */
export function requireViewer(ctx: Context): string {
  if (!ctx.viewerId) throw unauthenticated();
  return ctx.viewerId;
}
