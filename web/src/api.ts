/** GraphQL over HTTP against the Invitations API, and the operations this page runs. */

// The operations live in their own module, which `npm run codegen` reads under Node.
export * from "./operations";

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

/** What the API answers: `data`, or errors with their codes. */
interface Answer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * The code of the refusal of a document the server does not hold in its trusted-documents
 * manifest (or, with TRUSTED_DOCUMENTS=only, of a document sent as text that is not in it).
 */
export const PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND";

/**
 * POSTs one operation; resolves with `data` or rejects with the first error as an ApiError.
 * The operation goes by its id first (`documentId`, see docs/trusted-documents.md), and as
 * text only if the server answers that it does not know the id: a server that holds this
 * client's manifest never sees the text (and one with TRUSTED_DOCUMENTS=only answers nothing
 * else), and a server with an older manifest still serves a newer page.
 */
export async function request<T>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string | null,
): Promise<T> {
  const id = await documentId(query);
  let answer = id ? await post<T>({ documentId: id, variables }, token) : null;
  if (!answer || answer.body?.errors?.[0]?.extensions?.code === PERSISTED_QUERY_NOT_FOUND) {
    answer = await post<T>({ query, variables }, token);
  }
  const { res, body } = answer;
  const first = body?.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code);
  if (!res.ok || !body?.data) throw new ApiError(`HTTP ${res.status}`, undefined);
  return body.data;
}

/** One POST to the API; the body is null when the answer is not JSON. */
async function post<T>(
  payload: Record<string, unknown>,
  token?: string | null,
): Promise<{ res: Response; body: Answer<T> | null }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(API_URL, { method: "POST", headers, body: JSON.stringify(payload) });
  const body = (await res.json().catch(() => null)) as Answer<T> | null;
  return { res, body };
}

/** Ids already computed, by document text: each text is hashed once per page. */
const ids = new Map<string, Promise<string | null>>();

/**
 * The id the manifest gives a document: `sha256:` and the hex SHA-256 of its text (UTF-8).
 * Null where the browser cannot hash: `crypto.subtle` exists only in secure contexts (https,
 * and http on localhost), so a page served over plain http from elsewhere sends text.
 */
export function documentId(text: string): Promise<string | null> {
  let id = ids.get(text);
  if (!id) {
    id = sha256(text).catch(() => null);
    ids.set(text, id);
  }
  return id;
}

async function sha256(text: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle as SubtleCrypto | undefined;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return "sha256:" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The graphql-ws subscribe payload for a document (variables to be added): its id, with the
 * empty `query` graphql-ws requires, or its text where the browser cannot hash. `asText`
 * forces the text: after the server refused the id (see `isPersistedQueryNotFound`).
 */
export async function documentPayload(
  text: string,
  asText = false,
): Promise<{ query: string; documentId?: string }> {
  const id = asText ? null : await documentId(text);
  return id ? { query: "", documentId: id } : { query: text };
}

/**
 * Whether graphql-ws's `error` (the GraphQL errors the server refused an operation with)
 * says the server does not know the document's id: worth one more try with its text.
 */
export function isPersistedQueryNotFound(error: unknown): boolean {
  return (
    Array.isArray(error) &&
    error.some(
      (e: { extensions?: { code?: unknown } } | null) =>
        e?.extensions?.code === PERSISTED_QUERY_NOT_FOUND,
    )
  );
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

export interface Home {
  viewer: Person | null;
  receivedInvitations: { edges: { node: Invitation }[] };
  sentInvitations: { edges: { node: Invitation }[] };
  notifications: { edges: { node: Notification }[] };
}

/** A member found by search, with what the viewer may know of how close they are. */
export interface Found extends Person {
  degree: "SELF" | "FIRST" | "SECOND" | "THIRD_PLUS";
  mutualConnectionsCount: number;
}

export type ReceivedList = "PENDING" | "IGNORED" | "FILTERED";

export type Relation = "MUTUAL_CONNECTIONS" | "SAME_EMPLOYER" | "SAME_INDUSTRY" | "SAME_SCHOOL";
export type InvitationOrder = "NEWEST" | "OLDEST" | "MOST_MUTUAL_CONNECTIONS";

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
