import type { Context } from "../context";
import { createLoaders } from "../loaders";
import { unauthenticated } from "./errors";

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
