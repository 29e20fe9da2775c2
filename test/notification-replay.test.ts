import { afterAll, afterEach, describe, expect, it } from "vitest";
import { act, gql, inviteOk, ok, signUp } from "./helpers/http";
import {
  cursorOf,
  MARK_READ,
  NOTIFICATION_ADDED,
  notificationsOf,
  partsOf,
} from "./helpers/notifications";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

// A notification's cursor grows strictly with each notification of its recipient and is never
// given twice (docs/api.md, "Lists and cursors"), so that notificationAdded(after:) resumes
// with no gap and no duplicate. A withdrawal retracts the recipient's INVITATION_RECEIVED: it
// is then gone from the list, the counts, the replay and markNotificationsRead alike.

let server: TestServer | undefined;

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  await server?.stop();
});

describe("notification cursors never repeat", () => {
  it("after a withdrawal the next notification gets a new, later cursor and is delivered live", async () => {
    server = await startTestServer();
    const [a, b, c] = [await signUp(server), await signUp(server), await signUp(server)];

    const fromA = await inviteOk(server, a, b.id);
    const before = await notificationsOf(server, b);
    expect(before.nodes).toHaveLength(1);
    const first = before.nodes[0];
    expect(first).toMatchObject({ kind: "INVITATION_RECEIVED", invitation: { id: fromA } });

    const live = await subscribe(server, b.token, NOTIFICATION_ADDED);
    ok(await act(server, a, "withdrawInvitation", fromA));
    const fromC = await inviteOk(server, c, b.id);

    const got = await live.next();
    expect(got).toMatchObject({
      kind: "INVITATION_RECEIVED",
      actor: { id: c.id },
      invitation: { id: fromC },
    });
    expect(got.cursor).not.toBe(first.cursor);
    const [firstSeq] = partsOf(first.cursor, b.id) as number[];
    const [nextSeq] = partsOf(got.cursor, b.id) as number[];
    expect(nextSeq).toBeGreaterThan(firstSeq);
    await live.expectNone();

    // Resuming after the first cursor replays C's notification (and nothing else).
    const resumed = await subscribe(server, b.token, NOTIFICATION_ADDED, { after: first.cursor });
    expect(await resumed.next()).toMatchObject({
      id: got.id,
      cursor: got.cursor,
      kind: "INVITATION_RECEIVED",
      actor: { id: c.id },
      invitation: { id: fromC },
    });
    await resumed.expectNone();

    // Replaying from before the first one leaves the retracted notification out too.
    const fromStart = await subscribe(server, b.token, NOTIFICATION_ADDED, {
      after: cursorOf([0], b.id),
    });
    expect(await fromStart.next()).toMatchObject({ id: got.id, cursor: got.cursor });
    await fromStart.expectNone();

    // The withdrawn invitation's INVITATION_RECEIVED is neither listed nor counted.
    const after = await notificationsOf(server, b);
    expect(after.totalCount).toBe(1);
    expect(after.nodes.map((n) => n.id)).toEqual([got.id]);
    expect(after.nodes.some((n) => n.invitation?.id === fromA)).toBe(false);
    const unread = ok(
      await gql(server, `query { notifications(unreadOnly: true) { totalCount } }`, {}, b.token),
    );
    expect(unread.notifications.totalCount).toBe(1);
    // Nor can it be marked read.
    expect(ok(await gql(server, MARK_READ, { ids: [first.id] }, b.token))).toEqual({
      markNotificationsRead: 0,
    });
  });
});
