import { randomUUID } from "node:crypto";
import { print, type DocumentNode } from "graphql";

/** Anything with the GraphQL endpoint's URL (a RunningServer). */
export interface HasUrl {
  url: string;
}

/** What a GraphQL-over-HTTP response carries, as a client sees it. */
export interface GqlResult {
  status: number;
  // Response data is checked field by field in the tests; typing every shape adds nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  errors?: any[];
}

/** POSTs one operation to the server with `fetch`, with a Bearer token when given. */
export async function gql(
  server: HasUrl,
  query: string | DocumentNode,
  variables: object = {},
  token?: string,
): Promise<GqlResult> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: typeof query === "string" ? query : print(query), variables }),
  });
  const text = await res.text();
  let body: { data?: unknown; errors?: unknown[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, body is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: res.status, data: body.data ?? null, errors: body.errors };
}

/** The `extensions.code` of the first error, if any. */
export function codeOf(res: GqlResult): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/** The message of the first error, if any. */
export function messageOf(res: GqlResult): string | undefined {
  return res.errors?.[0]?.message;
}

/** Returns `res.data`, or throws with the errors when the operation failed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function ok(res: GqlResult): any {
  if (res.errors?.length) {
    throw new Error(`GraphQL errors (HTTP ${res.status}): ${JSON.stringify(res.errors)}`);
  }
  return res.data;
}

/** A member created through the API, with what it takes to act as them. */
export interface TestMember {
  token: string;
  id: string;
  email: string;
  password: string;
  name: string;
}

export interface SignUpFields {
  name: string;
  email: string;
  password: string;
  headline: string;
  employer: string;
  industry: string;
  school: string;
}

const SIGN_UP = `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token member { id name } }
  }
`;

let counter = 0;

/** Signs a member up through the API; each call gets a unique email unless one is given. */
export async function signUp(
  server: HasUrl,
  overrides: Partial<SignUpFields> = {},
): Promise<TestMember> {
  counter += 1;
  const input = {
    name: `Member ${counter}`,
    email: `member-${counter}-${randomUUID().slice(0, 8)}@example.com`,
    password: "correct horse battery",
    ...overrides,
  };
  const data = ok(await gql(server, SIGN_UP, { input }));
  return {
    token: data.signUp.token,
    id: data.signUp.member.id,
    email: input.email,
    password: input.password,
    name: data.signUp.member.name,
  };
}

/** The Invitation fields most tests compare. */
export const INVITATION_FIELDS = `
  id status message sentAt respondedAt responseMessage
  sender { id name } recipient { id name }
`;

const SEND = `
  mutation Send($input: SendInvitationInput!) {
    sendInvitation(input: $input) { connected invitation { ${INVITATION_FIELDS} } }
  }
`;

/** `from` invites the member with id `toId`, with an optional note. */
export function invite(
  server: HasUrl,
  from: TestMember,
  toId: string,
  message?: string,
): Promise<GqlResult> {
  return gql(server, SEND, { input: { recipientId: toId, message } }, from.token);
}

/** `from` invites `toId` and returns the new invitation's id; throws on any error. */
export async function inviteOk(
  server: HasUrl,
  from: TestMember,
  toId: string,
  message?: string,
): Promise<string> {
  return ok(await invite(server, from, toId, message)).sendInvitation.invitation.id;
}

/** The recipient's or sender's actions on one invitation, by mutation name. */
export type InvitationAction =
  "acceptInvitation" | "ignoreInvitation" | "declineInvitation" | "withdrawInvitation";

/** Runs one invitation mutation as `actor`; `message` only for accept and decline. */
export function act(
  server: HasUrl,
  actor: TestMember,
  action: InvitationAction,
  id: string,
  message?: string,
): Promise<GqlResult> {
  const withMessage = action === "acceptInvitation" || action === "declineInvitation";
  const query = withMessage
    ? `mutation ($id: ID!, $message: String) { ${action}(id: $id, message: $message) { ${INVITATION_FIELDS} } }`
    : `mutation ($id: ID!) { ${action}(id: $id) { ${INVITATION_FIELDS} } }`;
  return gql(server, query, withMessage ? { id, message } : { id }, actor.token);
}

/** `a` invites `b` and `b` accepts: they are first-degree connections afterwards. */
export async function connect(server: HasUrl, a: TestMember, b: TestMember): Promise<string> {
  const id = await inviteOk(server, a, b.id);
  ok(await act(server, b, "acceptInvitation", id));
  return id;
}
