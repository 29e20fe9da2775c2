import { Cursors } from "../../src/common/pagination";
import { gql, ok, type HasUrl, type TestMember } from "./http";
import type { TestServer } from "./server";

/** Cursors as the test servers seal them (startTestServer's JWT_SECRET). */
const testCursors = new Cursors("test-secret");

/**
 * A cursor holding `parts`, sealed as `server` seals them (by default as the test servers do);
 * with `scope` (a notification's recipient id) only that scope opens it.
 */
export function cursorOf(parts: unknown[], scope?: string, server?: TestServer): string {
  return (server?.app.deps.cursors ?? testCursors).encode(parts as (string | number)[], scope);
}

/** The parts of a cursor the server made (its format is known to the tests, opaque to clients). */
export function partsOf(cursor: string, scope?: string): unknown[] {
  return testCursors.parts(cursor, scope);
}

const NOTIFICATIONS = `query {
  notifications(first: 100) {
    totalCount
    edges { cursor node { id cursor kind read actor { id } invitation { id } } }
  }
}`;

/** A notification as `notificationsOf` reads it. */
export interface SeenNotification {
  id: string;
  cursor: string;
  kind: string;
  read: boolean;
  actor: { id: string } | null;
  invitation: { id: string } | null;
}

/** The member's notifications (the first 100, newest first) and their totalCount. */
export async function notificationsOf(
  server: HasUrl,
  member: TestMember,
): Promise<{ totalCount: number; nodes: SeenNotification[] }> {
  const data = ok(await gql(server, NOTIFICATIONS, {}, member.token));
  return {
    totalCount: data.notifications.totalCount,
    nodes: data.notifications.edges.map((e: { node: SeenNotification }) => e.node),
  };
}

/** `notificationAdded`, with an optional cursor to replay from. */
export const NOTIFICATION_ADDED = `subscription ($after: String) {
  notificationAdded(after: $after) { id cursor kind actor { id } invitation { id } }
}`;

export const MARK_READ = `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`;
