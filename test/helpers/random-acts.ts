import { act, gql, ok, signUp, type HasUrl, type TestMember } from "./http";

/** What one step of a random sequence does (`actRandomly`). */
export type RandomAct =
  | "invite"
  | "accept"
  | "ignore"
  | "decline"
  | "withdraw"
  | "remove"
  | "block"
  | "unblock"
  | "signUp";

export const RANDOM_ACTS: readonly RandomAct[] = [
  "invite",
  "accept",
  "ignore",
  "decline",
  "withdraw",
  "remove",
  "block",
  "unblock",
  "signUp",
];

/**
 * `me` does `what` towards `other` through the API, whatever the state: an answer (or a
 * withdraw) goes to their invitation with `other` if there is one, else to the newest; an act
 * the rules refuse is simply refused. `signUp` adds a member named `newName`. For property
 * tests that compare what the server keeps with what it computes.
 */
export async function actRandomly(
  server: HasUrl,
  me: TestMember,
  other: TestMember,
  what: RandomAct,
  newName = "New member",
): Promise<void> {
  if (what === "invite") {
    const send = `mutation ($id: ID!) { sendInvitation(input: { recipientId: $id }) { connected } }`;
    await gql(server, send, { id: other.id }, me.token);
    return;
  }
  if (what === "remove" || what === "block" || what === "unblock") {
    const field = { remove: "removeConnection", block: "blockMember", unblock: "unblockMember" };
    const arg = what === "remove" ? "memberId" : "id";
    await gql(
      server,
      `mutation ($id: ID!) { ${field[what]}(${arg}: $id) }`,
      { id: other.id },
      me.token,
    );
    return;
  }
  if (what === "signUp") {
    await signUp(server, { name: newName });
    return;
  }
  const list =
    what === "withdraw"
      ? `{ l: sentInvitations(status: PENDING, first: 50) { edges { node { id recipient { id } } } } }`
      : `{ l: receivedInvitations(first: 50) { edges { node { id sender { id } } } } }`;
  const edges = ok(await gql(server, list, {}, me.token)).l.edges as {
    node: { id: string; sender?: { id: string }; recipient?: { id: string } };
  }[];
  const target =
    edges.find((e) => (e.node.sender ?? e.node.recipient)?.id === other.id) ?? edges[0];
  if (!target) return;
  await act(server, me, `${what}Invitation` as Parameters<typeof act>[2], target.node.id);
}
