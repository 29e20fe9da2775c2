/** GraphQL over HTTP against the Invitations API, and the operations this page runs. */

/**
 * The API's URL: VITE_API_URL when the bundle was built (or served by `npm run dev:web`) with
 * one, else /graphql on the origin that served the page.
 */
export const API_URL: string =
  import.meta.env.VITE_API_URL || new URL("/graphql", location.origin).href;

/** The same endpoint for graphql-ws (ws: or wss:). */
export const WS_URL: string = API_URL.replace(/^http/, "ws");

/** An error the API answered with: its message and `extensions.code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** POSTs one operation; resolves with `data` or rejects with the first error as an ApiError. */
export async function request<T>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string | null,
): Promise<T> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(API_URL, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => null)) as {
    data?: T;
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  const first = body?.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code);
  if (!res.ok || !body?.data) throw new ApiError(`HTTP ${res.status}`, undefined);
  return body.data;
}

export interface Person {
  id: string;
  name: string;
  headline: string | null;
}

export type InvitationStatus =
  "PENDING" | "ACCEPTED" | "IGNORED" | "DECLINED" | "WITHDRAWN" | "EXPIRED";

export interface Invitation {
  id: string;
  status: InvitationStatus;
  message: string | null;
  sentAt: string;
  respondedAt: string | null;
  responseMessage: string | null;
  sender: Person;
  recipient: Person;
}

export type NotificationKind =
  "INVITATION_RECEIVED" | "INVITATION_ACCEPTED" | "INVITATION_DECLINED" | "INVITATION_REMINDER";

export interface Notification {
  id: string;
  kind: NotificationKind;
  message: string | null;
  createdAt: string;
  cursor: string;
  actor: Person | null;
  invitation: Invitation | null;
}

const PERSON = "id name headline";
const INVITATION = `id status message sentAt respondedAt responseMessage sender { ${PERSON} } recipient { ${PERSON} }`;
const NOTIFICATION = `id kind message createdAt cursor actor { ${PERSON} } invitation { ${INVITATION} }`;

/** Page sizes: enough for an example, within the server's query cost limit. */
const LIST_SIZE = 50;
const NOTIFICATIONS_SIZE = 20;

export const LOG_IN = `
  mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) { token member { ${PERSON} } }
  }`;

/** The link of a sign-up mail lands on `/app/#verify-email=<token>`. */
export const VERIFY_EMAIL = `
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) { token member { ${PERSON} } }
  }`;

/** Everything the page shows, in one request. */
export const HOME = `
  query Home {
    viewer { ${PERSON} }
    receivedInvitations(first: ${LIST_SIZE}) { edges { node { ${INVITATION} } } }
    sentInvitations(first: ${LIST_SIZE}) { edges { node { ${INVITATION} } } }
    notifications(first: ${NOTIFICATIONS_SIZE}) { edges { node { ${NOTIFICATION} } } }
  }`;

export interface Home {
  viewer: Person | null;
  receivedInvitations: { edges: { node: Invitation }[] };
  sentInvitations: { edges: { node: Invitation }[] };
  notifications: { edges: { node: Notification }[] };
}

export const NOTIFICATIONS = `
  query Notifications {
    notifications(first: ${NOTIFICATIONS_SIZE}) { edges { node { ${NOTIFICATION} } } }
  }`;

export const ACCEPT = `
  mutation Accept($id: ID!, $message: String) { acceptInvitation(id: $id, message: $message) { id } }`;
export const IGNORE = `mutation Ignore($id: ID!) { ignoreInvitation(id: $id) { id } }`;
export const DECLINE = `
  mutation Decline($id: ID!, $message: String) { declineInvitation(id: $id, message: $message) { id } }`;

/** With `after`: the stored notifications after that cursor first, then live ones. */
export const NOTIFICATION_ADDED = `
  subscription NotificationAdded($after: String) {
    notificationAdded(after: $after) { ${NOTIFICATION} }
  }`;

export const SIGN_UP = `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { status token member { ${PERSON} } }
  }`;

/** A member found by search, with what the viewer may know of how close they are. */
export interface Found extends Person {
  degree: "SELF" | "FIRST" | "SECOND" | "THIRD_PLUS";
  mutualConnectionsCount: number;
}

export const SEARCH = `
  query Search($search: String!) {
    members(search: $search, first: 10) {
      edges { node { ${PERSON} degree mutualConnectionsCount } }
    }
  }`;

export const SEND = `
  mutation Send($input: SendInvitationInput!) {
    sendInvitation(input: $input) { connected invitation { ${INVITATION} } }
  }`;

export type ReceivedList = "PENDING" | "IGNORED" | "FILTERED";

export type Relation = "MUTUAL_CONNECTIONS" | "SAME_EMPLOYER" | "SAME_INDUSTRY" | "SAME_SCHOOL";
export type InvitationOrder = "NEWEST" | "OLDEST" | "MOST_MUTUAL_CONNECTIONS";

export const RECEIVED = `
  query Received($filter: ReceivedInvitationsFilter!, $orderBy: InvitationOrder) {
    receivedInvitations(filter: $filter, orderBy: $orderBy, first: ${LIST_SIZE}) {
      edges { node { ${INVITATION} } }
    }
  }`;

export type PolicyAction = "DELIVER" | "FILTER" | "DISCARD";
export type EmailFrequency = "IMMEDIATELY" | "DAILY_DIGEST" | "NEVER";

export interface Settings {
  invitationSettings: {
    whoCanInvite: "EVERYONE" | "EMAIL_REQUIRED" | "SECOND_DEGREE";
    notifyOnInvitation: boolean;
    reminders: boolean;
    pausedUntil: string | null;
    policy: Record<
      "newAccounts" | "noMutualConnections" | "restrictedSenders" | "outsideNetwork",
      PolicyAction
    >;
  };
  notificationPreferences: { kind: NotificationKind; email: EmailFrequency }[];
}

export const SETTINGS = `
  query Settings {
    invitationSettings {
      whoCanInvite notifyOnInvitation reminders pausedUntil
      policy { newAccounts noMutualConnections restrictedSenders outsideNetwork }
    }
    notificationPreferences { kind email }
  }`;

export const SAVE_SETTINGS = `
  mutation SaveSettings(
    $settings: InvitationSettingsInput!
    $preferences: [NotificationPreferenceInput!]!
  ) {
    updateInvitationSettings(input: $settings) { whoCanInvite }
    updateNotificationPreferences(input: $preferences) { kind email }
  }`;

export const REPORT = `mutation Report($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
export const BLOCK = `mutation Block($id: ID!) { blockMember(id: $id) }`;
export const UNBLOCK = `mutation Unblock($id: ID!) { unblockMember(id: $id) }`;
export const BLOCKED = `query Blocked { blockedMembers { ${PERSON} } }`;
