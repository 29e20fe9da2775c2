/**
 * Demo data for Apollo Sandbox: `npm run seed`.
 *
 * Starts the real server in-process on a free port against the configured SQLite file
 * (SQLITE_PATH, default ./data/invitations.sqlite) and drives only the public GraphQL API over
 * HTTP, so the data is exactly what a client could have produced: every rule, notification and
 * cooldown applies. Running it again on a seeded database prints the logins and changes nothing.
 */
import "reflect-metadata";
import { loadConfig } from "../src/config";
import { startServer, type RunningServer } from "../src/server";

/** Every demo member logs in with this password. */
const PASSWORD = "demo-password-1";

interface DemoMember {
  key: string;
  name: string;
  email: string;
  headline: string;
  employer: string;
  industry: string;
  school: string;
}

// Shared employers, schools and industries, so members have relations and second-degree
// contacts to look at. The first one is the main demo member, whose inbox the seed fills.
const NORTHWIND = "Northwind Labs";
const COPPERLEAF = "Copperleaf Analytics";
const HELIX = "Helix Health";
const BRIGHTWATER = "Brightwater Energy";
const EDINBURGH = "University of Edinburgh";
const DELFT = "Delft University of Technology";
const TORONTO = "University of Toronto";
const SOFTWARE = "Software Development";
const FINANCE = "Financial Services";
const HEALTH = "Hospital & Health Care";
const ENERGY = "Renewable Energy";
const HR = "Human Resources";
const CONSULTING = "Management Consulting";
const ROBOTICS = "Industrial Automation";

// key (also the email's local part), name, headline, employer, industry, school
const MEMBERS: DemoMember[] = (
  [
    ["amara", "Amara Okafor", "Engineering Manager, Platform", NORTHWIND, SOFTWARE, EDINBURGH],
    ["lukas", "Lukas Brandt", "Senior Backend Engineer", NORTHWIND, SOFTWARE, DELFT],
    ["priya", "Priya Raman", "Lead Product Designer", NORTHWIND, SOFTWARE, TORONTO],
    ["sofia", "Sofia Marquez", "Talent Partner, Engineering", NORTHWIND, HR, EDINBURGH],
    ["kenji", "Kenji Watanabe", "Site Reliability Engineer", COPPERLEAF, FINANCE, DELFT],
    ["diego", "Diego Fernández", "Data Scientist, Risk Models", COPPERLEAF, FINANCE, EDINBURGH],
    ["hannah", "Hannah Kowalski", "Clinical Data Analyst", HELIX, HEALTH, TORONTO],
    ["grace", "Grace Mensah", "VP Engineering", HELIX, HEALTH, EDINBURGH],
    ["tomasz", "Tomasz Nowak", "Grid Systems Engineer", BRIGHTWATER, ENERGY, DELFT],
    ["omar", "Omar Haddad", "Frontend Engineer", BRIGHTWATER, SOFTWARE, TORONTO],
    ["elena", "Elena Rossi", "Talent Acquisition Lead", COPPERLEAF, HR, EDINBURGH],
    ["noah", "Noah Fischer", "Founder, growth consulting", "Fischer & Co.", CONSULTING, TORONTO],
    ["mateo", "Mateo Silva", "Staff Engineer, Data Platform", NORTHWIND, SOFTWARE, DELFT],
    ["ines", "Inès Laurent", "Product Manager, Payments", NORTHWIND, SOFTWARE, TORONTO],
    ["ravi", "Ravi Shah", "Graduate Software Engineer", NORTHWIND, SOFTWARE, "IIT Bombay"],
    ["chloe", "Chloé Dubois", "Engineering Manager, Mobile", NORTHWIND, SOFTWARE, "Sorbonne"],
    ["wei", "Wei Chen", "Principal Engineer, Motion Control", "Lumen Robotics", ROBOTICS, DELFT],
    ["isla", "Isla Campbell", "Energy Policy Analyst", BRIGHTWATER, ENERGY, EDINBURGH],
    ["fatima", "Fatima Benali", "Developer Advocate", "Quantix", SOFTWARE, "McGill University"],
  ] as const
).map(([key, name, headline, employer, industry, school]) => ({
  key,
  name,
  email: `${key}@example.com`,
  headline,
  employer,
  industry,
  school,
}));

/** A GraphQL error answer, kept whole so the caller can tell CONFLICT from anything else. */
class GraphQLCallError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

async function gql<T>(
  server: RunningServer,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<T> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    data?: T;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  if (body.errors?.length) {
    const [first] = body.errors;
    const code = first.extensions?.code;
    throw new GraphQLCallError(code, `${code ?? "ERROR"}: ${first.message} (HTTP ${res.status})`);
  }
  if (!body.data) throw new Error(`no data in the answer (HTTP ${res.status})`);
  return body.data;
}

const SIGN_UP = `mutation SeedSignUp($input: SignUpInput!) {
  signUp(input: $input) { token member { id } }
}`;
const SEND = `mutation SeedSend($input: SendInvitationInput!) {
  sendInvitation(input: $input) { connected invitation { id } }
}`;
const ACCEPT = `mutation SeedAccept($id: ID!, $message: String) {
  acceptInvitation(id: $id, message: $message) { id }
}`;
const DECLINE = `mutation SeedDecline($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) { id }
}`;
const IGNORE = `mutation SeedIgnore($id: ID!) { ignoreInvitation(id: $id) { id } }`;

interface Session {
  token: string;
  id: string;
}

async function seed(server: RunningServer): Promise<"seeded" | "already"> {
  const sessions = new Map<string, Session>();
  for (const [i, m] of MEMBERS.entries()) {
    const { key, ...input } = m;
    try {
      const data = await gql<{ signUp: { token: string; member: { id: string } } }>(
        server,
        SIGN_UP,
        { input: { ...input, password: PASSWORD } },
      );
      sessions.set(key, { token: data.signUp.token, id: data.signUp.member.id });
    } catch (err) {
      if (i === 0 && err instanceof GraphQLCallError && err.code === "CONFLICT") return "already";
      throw err;
    }
  }
  const who = (key: string): Session => sessions.get(key)!;

  const send = async (from: string, to: string, message?: string): Promise<string> => {
    const data = await gql<{ sendInvitation: { invitation: { id: string } } }>(
      server,
      SEND,
      { input: { recipientId: who(to).id, message } },
      who(from).token,
    );
    return data.sendInvitation.invitation.id;
  };
  const accept = async (by: string, id: string, message?: string) =>
    gql(server, ACCEPT, { id, message }, who(by).token);

  // Connections: send, then accept (some with a greeting).
  const connections: [string, string, string?, string?][] = [
    ["amara", "lukas", "Lukas, great pairing with you on the queue rewrite.", "Likewise, Amara!"],
    ["amara", "priya"],
    ["sofia", "amara", "Hi Amara, let's stay in touch about the platform hires.", "Gladly!"],
    ["lukas", "kenji", "We met at the Delft alumni meetup: let's connect."],
    ["lukas", "tomasz"],
    ["diego", "lukas", undefined, "Good to see you here, Diego."],
    ["priya", "hannah"],
    ["priya", "omar", "Loved your talk on design systems."],
    ["kenji", "diego"],
    ["grace", "hannah"],
    ["sofia", "elena"],
  ];
  for (const [from, to, note, greeting] of connections) {
    await accept(to, await send(from, to, note), greeting);
  }

  // Amara's inbox: pending invitations, most with a personalized note.
  const inbox: [string, string?][] = [
    [
      "kenji",
      "Lukas says your team runs the best on-call rotation in town. Could I pick your brain?",
    ],
    ["hannah", "Priya suggested we talk about data pipelines for clinical studies."],
    ["diego", "Fellow Edinburgh grad here; I'd like to compare notes on ML platforms."],
    ["omar"],
    [
      "elena",
      "I'm building Copperleaf's engineering leadership network and would love to connect.",
    ],
  ];
  for (const [from, note] of inbox) await send(from, "amara", note);

  // Ignored: Noah still sees his invitation as pending; nobody is told anything.
  const pitch = await send(
    "noah",
    "amara",
    "I help engineering leaders 10x their team's output. 15 minutes this week?",
  );
  await gql(server, IGNORE, { id: pitch }, who("amara").token);

  // Declined with a message: Amara finds it in her notifications.
  const declined = await send(
    "amara",
    "grace",
    "Hi Grace, I enjoyed your keynote at the Edinburgh alumni day.",
  );
  await gql(
    server,
    DECLINE,
    {
      id: declined,
      message:
        "Thank you, Amara. I keep my network to people I've worked with; let's talk at the next alumni day.",
    },
    who("grace").token,
  );

  // One of Amara's own invitations still open.
  await send("amara", "tomasz", "Tomasz, Lukas tells me you know grid telemetry inside out.");
  return "seeded";
}

function printLogins(): void {
  const main = MEMBERS[0];
  const noah = MEMBERS.find((m) => m.key === "noah")!;
  const width = Math.max(...MEMBERS.map((m) => m.email.length));
  console.log("\nDemo logins (password for all: " + PASSWORD + ")\n");
  console.log(`  ${"email".padEnd(width)}  name`);
  console.log(`  ${"-".repeat(width)}  ${"-".repeat(20)}`);
  for (const m of MEMBERS) console.log(`  ${m.email.padEnd(width)}  ${m.name}`);
  console.log(`
Amara (${main.email}) is the main demo member: five pending invitations, one ignored,
a decline with a message among her notifications, three connections, one invitation still out.
Noah (${noah.email}) sent the invitation Amara ignored: to him it still looks pending.

Start the server (npm start) and open Sandbox, by default http://localhost:4000/graphql. Try:

  mutation { logIn(email: "${main.email}", password: "${PASSWORD}") { token member { id name } } }

In Sandbox's Headers tab add  authorization: Bearer <token>  and then:

  query { receivedInvitations { totalCount edges { node { id message sender { name headline mutualConnectionsCount } } } } }
  query { receivedInvitations(filter: { status: IGNORED }) { totalCount edges { node { id sender { name } } } } }
  query { notifications { edges { node { kind message actor { name } } } } }
  query { connections { totalCount edges { node { name employer degree } } } }

Log in as ${noah.email} and ask for sentInvitations { edges { node { status } } }: PENDING.
`);
}

async function main(): Promise<number> {
  // Port 0: the seed must not collide with a running `npm start`; everything else from the env.
  const config = loadConfig({ ...process.env, PORT: "0" });
  const server = await startServer({ config, log: () => {} });
  try {
    const outcome = await seed(server);
    if (outcome === "already") {
      console.log(
        `${config.sqlitePath} is already seeded (${MEMBERS[0].email} exists); nothing changed.`,
      );
    } else {
      console.log(`Seeded ${MEMBERS.length} demo members into ${config.sqlitePath}.`);
    }
    printLogins();
    return 0;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("seed failed:", err instanceof Error ? err.message : err);
    // A run that failed half-way leaves part of the data; the next run would call it seeded.
    console.error("To start over, remove the SQLite file (SQLITE_PATH) and run the seed again.");
    process.exit(1);
  },
);
