import { randomUUID } from "node:crypto";
import {
  Kind,
  parse,
  print,
  validate,
  type DocumentNode,
  type OperationDefinitionNode,
} from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildAppSchema } from "../src/schema";
import { STARTER_DOCUMENT, STARTER_VARIABLES } from "../src/explorer/starter";
import { startTestServer, type TestServer } from "./helpers/server";
import { closeAll, subscribe } from "./helpers/ws";

/** GET /graphql as a browser asks for a page. */
function openInBrowser(server: TestServer): Promise<Response> {
  return fetch(server.url, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
}

/** The configuration Apollo's page hands to the embedded Sandbox. */
function sandboxConfig(html: string) {
  const m = /var embeddedSandboxConfig = (\{.*\});/.exec(html);
  if (!m) throw new Error(`no embedded Sandbox configuration in:\n${html.slice(0, 2000)}`);
  return JSON.parse(m[1]);
}

const starter = parse(STARTER_DOCUMENT);
const operations = starter.definitions.filter(
  (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
);

/** Runs one operation of the starter document the way Sandbox does: the whole document, by name. */
async function run(
  server: TestServer,
  operationName: string,
  variables: Record<string, unknown>,
  token = "",
) {
  const res = await fetch(server.url, {
    method: "POST",
    // Sandbox sends the authorization slot even when it is empty.
    headers: { "content-type": "application/json", authorization: token && `Bearer ${token}` },
    body: JSON.stringify({ query: STARTER_DOCUMENT, operationName, variables }),
  });
  const body = (await res.json()) as { data: Record<string, any>; errors?: unknown[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (body.errors) throw new Error(`${operationName}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

describe("Apollo Sandbox outside production", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(closeAll);
  afterAll(async () => {
    await server?.stop();
  });

  it("opens at GET /graphql with the starter operations and an authorization header slot", async () => {
    const res = await openInBrowser(server);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("embeddable-sandbox.cdn.apollographql.com");
    const config = sandboxConfig(html);
    expect(config.initialState).toMatchObject({
      document: STARTER_DOCUMENT,
      variables: STARTER_VARIABLES,
      headers: { authorization: "" },
      includeCookies: false,
    });
    expect(config.runTelemetry).toBe(false);
  });

  it("starts with the main operations, valid against the schema and within the limits", async () => {
    expect(operations.map((o) => o.name?.value)).toEqual([
      "SignUp",
      "LogIn",
      "Viewer",
      "SendInvitation",
      "ReceivedInvitations",
      "AcceptInvitation",
      "IgnoreInvitation",
      "DeclineInvitation",
      "SentInvitations",
      "Notifications",
      "OnNotificationAdded",
      "OnInvitationReceived",
      "OnInvitationDeclined",
    ]);
    expect(validate(await buildAppSchema(), starter)).toEqual([]);
    // The header slot is explained where a Sandbox user reads first.
    expect(STARTER_DOCUMENT.slice(0, 600)).toMatch(
      /Headers tab[\s\S]*authorization[\s\S]*Bearer TOKEN/,
    );
    // Apollo escapes only the first of each of these when it writes the page's script.
    expect(STARTER_DOCUMENT).not.toMatch(/[<>&']/);
    expect(JSON.stringify(STARTER_VARIABLES)).not.toMatch(/[<>&']/);
  });

  it("runs the tour from the starter document and its variables", async () => {
    const email = (who: string) => `${who}-${randomUUID().slice(0, 8)}@example.com`;
    const adaVars = {
      ...STARTER_VARIABLES,
      signUp: { ...STARTER_VARIABLES.signUp, email: email("ada") },
    };
    const ada = (await run(server, "SignUp", adaVars)).signUp;
    const logIn = await run(server, "LogIn", {
      ...STARTER_VARIABLES,
      email: adaVars.signUp.email,
    });
    expect(logIn.logIn.member.id).toBe(ada.member.id);
    expect((await run(server, "Viewer", STARTER_VARIABLES, ada.token)).viewer.id).toBe(
      ada.member.id,
    );
    const charles = (
      await run(server, "SignUp", {
        ...STARTER_VARIABLES,
        signUp: { name: "Charles Babbage", email: email("charles"), password: "difference-2" },
      })
    ).signUp;

    // Ada listens for declines with the starter subscription, as in a second Sandbox tab.
    const onDeclined = operations.find((o) => o.name?.value === "OnInvitationDeclined")!;
    const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [onDeclined] };
    const sub = await subscribe(server, ada.token, print(doc));

    const sent = await run(
      server,
      "SendInvitation",
      {
        ...STARTER_VARIABLES,
        invitation: { ...STARTER_VARIABLES.invitation, recipientId: charles.member.id },
      },
      ada.token,
    );
    const id = sent.sendInvitation.invitation.id;
    const inbox = await run(server, "ReceivedInvitations", STARTER_VARIABLES, charles.token);
    expect(inbox.receivedInvitations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(
      [id],
    );
    await run(server, "DeclineInvitation", { ...STARTER_VARIABLES, id }, charles.token);
    const event = await sub.next();
    expect(event).toMatchObject({ message: STARTER_VARIABLES.message, invitation: { id } });
    const sentList = await run(server, "SentInvitations", STARTER_VARIABLES, ada.token);
    expect(sentList.sentInvitations.edges[0].node).toMatchObject({ id, status: "DECLINED" });
    const notes = await run(server, "Notifications", STARTER_VARIABLES, ada.token);
    expect(notes.notifications.edges[0].node.kind).toBe("INVITATION_DECLINED");
  });
});

describe("in production", () => {
  it("GET /graphql from a browser serves no landing page", async () => {
    const server = await startTestServer({
      env: { NODE_ENV: "production", JWT_SECRET: "p".repeat(40) },
    });
    try {
      const res = await openInBrowser(server);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).not.toMatch(/text\/html/);
      const body = await res.text();
      expect(body).not.toContain("embeddable-sandbox");
      expect(body).not.toContain("SignUp");
    } finally {
      await server.stop();
    }
  });
});
