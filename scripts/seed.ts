/**
 * Demo data for Apollo Sandbox: `npm run seed`.
 *
 * Starts the real server in-process on a free port against the configured SQLite file
 * (SQLITE_PATH, default ./data/invitations.sqlite) and drives only the public GraphQL API over
 * HTTP, so the data is exactly what a client could have produced: every rule, notification and
 * cooldown applies. Running it again on a seeded database changes nothing.
 *
 * Either way it then prints a guide, the inbox-manager operations of
 * test/operations/manager.graphql (checked against the schema by `npm run codegen`) each with
 * what it answers on this database, found by running it; and last the logins. The server it
 * starts logs at `warn` (LOG_LEVEL, when set, wins), so no request log comes between.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kind, parse } from "graphql";
import { loadConfig, type Config } from "../src/config";
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

const LOG_IN = `mutation SeedLogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token member { id } }
}`;
const SETTINGS = `mutation SeedSettings($input: InvitationSettingsInput!) {
  updateInvitationSettings(input: $input) { whoCanInvite }
}`;

interface Session {
  token: string;
  id: string;
}

const member = (key: string): DemoMember => MEMBERS.find((m) => m.key === key)!;

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

  // Chloé lets only invitations that give her email address reach her inbox.
  await gql(server, SETTINGS, { input: { whoCanInvite: "EMAIL_REQUIRED" } }, who("chloe").token);

  const send = async (
    from: string,
    to: string,
    message?: string,
    recipientEmail?: string,
  ): Promise<string> => {
    const data = await gql<{ sendInvitation: { invitation: { id: string } } }>(
      server,
      SEND,
      { input: { recipientId: who(to).id, message, recipientEmail } },
      who(from).token,
    );
    return data.sendInvitation.invitation.id;
  };
  const accept = async (by: string, id: string, message?: string) =>
    gql(server, ACCEPT, { id, message }, who(by).token);

  // Connections: send, then accept (some with a greeting). Amara's are Lukas, Priya and Sofia.
  // Those writing to her share 0 to 3 of them; Wei and Isla share some too but have no
  // invitation with her, so they are suggested.
  const connections: [string, string, string?, string?][] = [
    ["amara", "lukas", "Lukas, great pairing with you on the queue rewrite.", "Likewise, Amara!"],
    ["amara", "priya"],
    ["sofia", "amara", "Hi Amara, let's stay in touch about the platform hires.", "Gladly!"],
    ["lukas", "kenji", "We met at the Delft alumni meetup: let's connect."],
    ["lukas", "tomasz"],
    ["diego", "lukas", undefined, "Good to see you here, Diego."],
    ["diego", "sofia", "Edinburgh alumni dinner, table four: good to meet you!"],
    ["priya", "hannah"],
    ["priya", "omar", "Loved your talk on design systems."],
    ["kenji", "diego"],
    ["grace", "hannah"],
    ["sofia", "elena"],
    ["mateo", "lukas"],
    ["priya", "mateo"],
    ["mateo", "sofia", "Thanks for finding us two great data engineers this spring."],
    ["ines", "priya"],
    ["lukas", "wei", "Still thinking about your motion-control demo at the Delft meetup."],
    ["wei", "priya"],
    ["sofia", "isla", "Isla, great panel on hiring for climate tech."],
  ];
  for (const [from, to, note, greeting] of connections) {
    await accept(to, await send(from, to, note), greeting);
  }

  // Amara's inbox, oldest first: Northwind colleagues sharing 3 (Mateo), 1 (Inès) and 0
  // (Ravi) of her connections, so MOST_MUTUAL_CONNECTIONS and NEWEST order them differently.
  const inbox: [string, string?][] = [
    [
      "mateo",
      "Lukas, Priya and Sofia all say we should meet: I run the data platform team two floors up.",
    ],
    [
      "kenji",
      "Lukas says your team runs the best on-call rotation in town. Could I pick your brain?",
    ],
    ["hannah", "Priya suggested we talk about data pipelines for clinical studies."],
    ["diego", "Fellow Edinburgh grad here; I'd like to compare notes on ML platforms."],
    ["ines", "New on Payments at Northwind; I'd value your take on the platform roadmap."],
    ["omar"],
    [
      "elena",
      "I'm building Copperleaf's engineering leadership network and would love to connect.",
    ],
    ["ravi", "I just joined Northwind as a graduate engineer and would love to learn from you."],
  ];
  for (const [from, note] of inbox) await send(from, "amara", note);

  // Ignored: Noah still sees his invitation as pending; nobody is told anything.
  const pitch = await send(
    "noah",
    "amara",
    "I help engineering leaders 10x their team's output. 15 minutes this week?",
  );
  await gql(server, IGNORE, { id: pitch }, who("amara").token);

  // Declined with a message: Amara finds it in her notifications, and waits out the cooldown.
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

  // A wrong email is no error: to Noah this looks pending; it waits in Chloé's FILTERED list.
  await send(
    "noah",
    "chloe",
    "Quick question about scaling your mobile team: 15 minutes this week?",
    "chloe.dubois@northwind.example",
  );
  return "seeded";
}

/** The inbox-manager operations, where `npm run codegen` checks them against the schema. */
const OPERATIONS_FILE = join(__dirname, "..", "test", "operations", "manager.graphql");

/** Each named operation of OPERATIONS_FILE, as written there. */
function loadOperations(): Map<string, string> {
  const source = readFileSync(OPERATIONS_FILE, "utf8");
  const ops = new Map<string, string>();
  for (const def of parse(source).definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && def.name && def.loc) {
      ops.set(def.name.value, source.slice(def.loc.start, def.loc.end));
    }
  }
  return ops;
}

interface Person {
  name: string;
  degree: string;
  mutualConnectionsCount: number;
}

/** One operation to paste, what it is for, and what it answers on this database now. */
interface Step {
  op: string;
  notes: string[];
  answer: string[];
}

/**
 * Runs the operations it prints, as Amara and as Chloé, so the guide shows what they answer on
 * this database. Null when the database was seeded by an older seed without these members.
 */
async function demoSteps(
  server: RunningServer,
  config: Config,
): Promise<{ amara: Step[]; chloe: Step[] } | null> {
  const ops = loadOperations();
  const op = (name: string): string => {
    const text = ops.get(name);
    if (!text) throw new Error(`${OPERATIONS_FILE} has no operation ${name}`);
    return text;
  };
  const logIn = async (key: string): Promise<Session> => {
    const data = await gql<{ logIn: { token: string; member: { id: string } } }>(server, LOG_IN, {
      email: member(key).email,
      password: PASSWORD,
    });
    return { token: data.logIn.token, id: data.logIn.member.id };
  };
  let amara: Session, chloe: Session, grace: Session;
  try {
    [amara, chloe, grace] = [await logIn("amara"), await logIn("chloe"), await logIn("grace")];
  } catch (err) {
    if (err instanceof GraphQLCallError && err.code === "UNAUTHENTICATED") return null;
    throw err;
  }
  const run = <T>(name: string, as: Session) => gql<T>(server, op(name), {}, as.token);
  const person = (p: Person) => `${p.name} (${p.degree}, ${p.mutualConnectionsCount} mutual)`;

  const employerInbox = await run<{
    receivedInvitations: { edges: { node: { sender: Person } }[] };
  }>("InboxFromMyEmployer", amara);
  const suggestions = await run<{
    suggestedMembers: { reasons: string[]; sharedConnectionsCount: number; member: Person }[];
  }>("PeopleYouMayKnow", amara);
  const found = await run<{ members: { edges: { node: Person }[] } }>("FindPeople", amara);
  const filtered = await run<{
    receivedInvitations: { edges: { node: { status: string; sender: { name: string } } }[] };
  }>("FilteredInvitations", chloe);
  const settings = await run<{ invitationSettings: Record<string, unknown> }>(
    "MyInvitationSettings",
    chloe,
  );

  const cooldownDays = Math.round(config.cooldownMs / (24 * 60 * 60 * 1000));
  return {
    amara: [
      {
        op: op("InboxFromMyEmployer"),
        notes: [
          `Invitations from Amara's colleagues at ${NORTHWIND}, most shared connections first.`,
          "Try orderBy: NEWEST, or relations: [SAME_SCHOOL] or [MUTUAL_CONNECTIONS, SAME_INDUSTRY].",
        ],
        answer: employerInbox.receivedInvitations.edges.map((e) => person(e.node.sender)),
      },
      {
        op: op("PeopleYouMayKnow"),
        notes: ["People Amara may know, with the reasons that put them there."],
        answer: suggestions.suggestedMembers.map(
          (s) => `${s.member.name}: ${s.reasons.join(", ")} (${s.sharedConnectionsCount} shared)`,
        ),
      },
      {
        op: op("FindPeople"),
        notes: ["Search: her connections first, then second-degree members, then everyone else."],
        answer: found.members.edges.map((e) => `${e.node.name} (${e.node.degree})`),
      },
      {
        op: op("InviteWithEmail"),
        notes: [
          "Chloé takes only invitations that give her email. With the variables",
          `  { "recipientId": "${chloe.id}" }`,
          `it answers EMAIL_REQUIRED; with "recipientEmail": "${member("chloe").email}" added, PENDING.`,
          `With Grace's id, "${grace.id}", it answers CONFLICT with`,
          `extensions.until: she declined Amara's invitation, and the ${cooldownDays}-day cooldown runs.`,
        ],
        answer: [],
      },
    ],
    chloe: [
      {
        op: op("FilteredInvitations"),
        notes: [
          "Invitations set aside: Noah gave a wrong email. To him it looks PENDING, and no",
          "answer told him the email was wrong.",
        ],
        answer: filtered.receivedInvitations.edges.map(
          (e) => `${e.node.sender.name} (${e.node.status})`,
        ),
      },
      {
        op: op("MyInvitationSettings"),
        notes: ["Her settings; updateInvitationSettings changes them."],
        answer: [JSON.stringify(settings.invitationSettings)],
      },
    ],
  };
}

function printStep(step: Step): void {
  const lines = step.notes.map((n) => `# ${n}`);
  if (step.answer.length) {
    lines.push("# Answers now:", ...step.answer.map((a) => `#   ${a}`));
  }
  console.log(`${lines.join("\n")}\n${step.op}\n`);
}

function printGuide(steps: Awaited<ReturnType<typeof demoSteps>>): void {
  const main = MEMBERS[0];
  const noah = member("noah");
  const chloe = member("chloe");
  console.log(`
Amara (${main.email}) is the main demo member: eight pending invitations (three from
Northwind colleagues), one ignored, a decline with a message among her notifications, three
connections, one invitation still out. Chloé (${chloe.email}) takes only invitations that give
her email. Noah (${noah.email}) sent the invitation Amara ignored and one to Chloé with a wrong
email: to him both look pending.

Start the server (npm start) and open Sandbox, by default http://localhost:4000/graphql.
Log in as Amara:

  mutation { logIn(email: "${main.email}", password: "${PASSWORD}") { token member { id name } } }

In Sandbox's Headers tab add  authorization: Bearer <token>  and paste any of these. The lines
starting with # are comments; they say what each operation answers on this database now.
`);
  if (!steps) {
    console.log(`(${main.email} exists but ${chloe.email} does not: this database was seeded by an
older version of the seed. Remove the SQLite file and run the seed again for the inbox-manager
demo; the operations are in test/operations/manager.graphql.)
`);
  } else {
    for (const step of steps.amara) printStep(step);
    console.log(`Log in as ${chloe.email} (same password) for these:\n`);
    for (const step of steps.chloe) printStep(step);
  }
  console.log(`More, as Amara:

  query { receivedInvitations(filter: { status: IGNORED }) { totalCount edges { node { id sender { name } } } } }
  query { notifications { edges { node { kind message actor { name } } } } }
  query { connections { totalCount edges { node { name employer degree } } } }

As ${noah.email}: query { sentInvitations { edges { node { status recipient { name } } } } }
answers PENDING for both of his. The operations above are in test/operations/manager.graphql;
docs/inbox.md explains them.`);
}

/**
 * Who is who, as seed() leaves them, in the order the logins list them: the members with a part
 * in the guide first, then the others by what ties them to Amara.
 */
const WHO = new Map<string, string>([
  ["amara", "the main demo member: start here"],
  ["chloe", "takes only invitations that give her email"],
  ["noah", "invited Amara (ignored) and Chloé (wrong email)"],
  ...["lukas", "priya", "sofia"].map((key): [string, string] => [key, "Amara's connection"]),
  ...["mateo", "ines", "ravi", "kenji", "hannah", "diego", "omar", "elena"].map(
    (key): [string, string] => [key, "invited Amara"],
  ),
  ["grace", "declined Amara's invitation"],
  ["tomasz", "invited by Amara, no answer yet"],
  ...["wei", "isla", "fatima"].map((key): [string, string] => [key, "suggested to Amara"]),
]);

/**
 * The logins, last: what someone comes back to the terminal for, so the guide must not scroll
 * them away.
 */
function printLogins(): void {
  const members = [...[...WHO.keys()].map(member), ...MEMBERS.filter((m) => !WHO.has(m.key))];
  const email = Math.max(...members.map((m) => m.email.length));
  const name = Math.max(...members.map((m) => m.name.length));
  console.log(`\nDemo logins (password for all: ${PASSWORD})\n`);
  for (const m of members) {
    console.log(
      `  ${m.email.padEnd(email)}  ${m.name.padEnd(name)}  ${WHO.get(m.key) ?? ""}`.trimEnd(),
    );
  }
}

async function main(): Promise<number> {
  // Port 0: the seed must not collide with a running `npm start`. Level warn: an info line for
  // each of its ~80 requests would bury the logins, while warnings and errors still show.
  // No notification mail for the demo's own answers (a mail per seeded acceptance), and the
  // demo members are active at once (no verification mail to addresses nobody reads).
  // Everything else, LOG_LEVEL included when set, comes from the environment.
  const config = loadConfig({
    ...process.env,
    PORT: "0",
    LOG_LEVEL: process.env.LOG_LEVEL || "warn",
    MAIL_NOTIFICATIONS: "false",
    EMAIL_VERIFICATION: "false",
  });
  const where = config.databaseUrl ? "the PostgreSQL database of DATABASE_URL" : config.sqlitePath;
  console.log(`Seeding ${where} through the API...`);
  const server = await startServer({ config, log: () => {} });
  try {
    const outcome = await seed(server);
    if (outcome === "already") {
      console.log(`Already seeded (${MEMBERS[0].email} exists): nothing changed.`);
    } else {
      console.log(`Seeded ${MEMBERS.length} demo members.`);
    }
    printGuide(await demoSteps(server, config));
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
