import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { ManualClock } from "../../src/common/clock";
import { InvitationRecord } from "../../src/invitations/invitation.entity";
import { query, toInt } from "../../src/db/sql";
import type { JobsReport } from "../../src/jobs/jobs.service";
import { Member } from "../../src/members/member.entity";
import { gql, ok, type GqlResult, type HasUrl, type TestMember } from "./http";
import { startTestServer, type TestServer } from "./server";

export const DAY_MS = 24 * 60 * 60 * 1000;

const servers: TestServer[] = [];

/**
 * A fresh server on a fresh database with a ManualClock the test moves. The server's own
 * interval job is off, so jobs run only when the test calls `server.runJobs()`.
 */
export async function startJobsServer(
  start = new Date("2031-03-01T08:00:00.000Z"),
): Promise<{ server: TestServer; clock: ManualClock }> {
  const clock = new ManualClock(start);
  const server = await startTestServer({ clock, env: { JOBS_INTERVAL_SECONDS: "0" } });
  servers.push(server);
  return { server, clock };
}

/** Stops every server `startJobsServer` started; call it in afterEach. */
export async function stopJobsServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
}

export const INVITATION = `query ($id: ID!) {
  invitation(id: $id) { id status respondedAt responseMessage message }
}`;

/** `invitation(id)` as `viewer` sees it (null when it does not exist for them). */
export async function invitationAs(server: HasUrl, viewer: TestMember, id: string) {
  return ok(await gql(server, INVITATION, { id }, viewer.token)).invitation;
}

const NOTIFICATIONS = `query {
  notifications(first: 100) {
    totalCount
    edges { node { kind message actor { id } invitation { id status } } }
  }
}`;

/** A notification as the tests compare it. */
export interface SeenNotification {
  kind: string;
  message: string | null;
  actor: { id: string } | null;
  invitation: { id: string; status: string } | null;
}

/** The member's notifications, newest first, through the API. */
export async function notificationsOf(
  server: HasUrl,
  member: TestMember,
): Promise<SeenNotification[]> {
  const data = ok(await gql(server, NOTIFICATIONS, {}, member.token));
  return data.notifications.edges.map((e: { node: SeenNotification }) => e.node);
}

/** The member's INVITATION_REMINDER notifications. */
export async function remindersOf(server: HasUrl, member: TestMember) {
  return (await notificationsOf(server, member)).filter((n) => n.kind === "INVITATION_REMINDER");
}

export const SET_REMINDER = `mutation ($id: ID!, $remindAt: DateTimeISO!) {
  setInvitationReminder(id: $id, remindAt: $remindAt) {
    id status respondedAt responseMessage sender { id } recipient { id }
  }
}`;

/** `setInvitationReminder` as `member`; `remindAt` as given (a Date is sent as ISO). */
export function setReminder(
  server: HasUrl,
  member: TestMember,
  id: string,
  remindAt: Date | string,
): Promise<GqlResult> {
  const at = remindAt instanceof Date ? remindAt.toISOString() : remindAt;
  return gql(server, SET_REMINDER, { id, remindAt: at }, member.token);
}

const UPDATE_SETTINGS = `mutation ($input: InvitationSettingsInput!) {
  updateInvitationSettings(input: $input) { whoCanInvite notifyOnInvitation reminders }
}`;

/** Changes `member`'s invitation settings. */
export async function updateSettings(
  server: HasUrl,
  member: TestMember,
  input: { whoCanInvite?: string; notifyOnInvitation?: boolean; reminders?: boolean },
) {
  return ok(await gql(server, UPDATE_SETTINGS, { input }, member.token)).updateInvitationSettings;
}

/** `member` reports the invitation `id` (it becomes REPORTED, ignored to them). */
export async function reportInvitation(server: HasUrl, member: TestMember, id: string) {
  const q = `mutation ($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
  return ok(await gql(server, q, { id }, member.token)).reportInvitation;
}

/** Rows in the notification table (all members): silence means this does not change. */
export async function notificationRowCount(server: TestServer): Promise<number> {
  const [row] = await query<{ n: unknown }>(
    server.dataSource,
    `SELECT COUNT(*) AS "n" FROM "notification"`,
  );
  return toInt(row.n);
}

/** The stored row of an invitation, for what the API does not show (remindAt, remindedAt). */
export async function storedInvitation(server: TestServer, id: string) {
  const [row] = await query<{
    status: string;
    remindAt: string | null;
    remindedAt: string | null;
    respondedAt: string | null;
  }>(
    server.dataSource,
    `SELECT "status", "remindAt", "remindedAt", "respondedAt" FROM "invitation" WHERE "id" = :id`,
    { id },
  );
  return row;
}

/**
 * Inserts `members` members and one PENDING invitation for each of the first `count` pairs
 * (i < j) straight into the database, all sent at `sentAt`: a backlog larger than a batch,
 * without the API's weekly limits. Returns the invitation ids.
 */
export async function seedBacklog(
  server: TestServer,
  members: number,
  count: number,
  sentAt: Date,
): Promise<string[]> {
  const ids = Array.from({ length: members }, () => randomUUID());
  await server.dataSource
    .createQueryBuilder()
    .insert()
    .into(Member)
    .values(
      ids.map((id, n) => ({
        id,
        name: `Backlog ${n}`,
        email: `backlog-${id}@example.com`,
        passwordHash: "x",
        createdAt: sentAt,
      })),
    )
    .execute();
  const rows: Partial<InvitationRecord>[] = [];
  for (let i = 0; i < members && rows.length < count; i++) {
    for (let j = i + 1; j < members && rows.length < count; j++) {
      const [a, b] = [ids[i], ids[j]];
      rows.push({
        id: randomUUID(),
        senderId: a,
        recipientId: b,
        pairKey: a < b ? `${a}:${b}` : `${b}:${a}`,
        message: null,
        status: "PENDING",
        sentAt,
      });
    }
  }
  if (rows.length < count) throw new Error(`only ${rows.length} pairs among ${members} members`);
  for (let n = 0; n < rows.length; n += 100) {
    await server.dataSource
      .createQueryBuilder()
      .insert()
      .into(InvitationRecord)
      .values(rows.slice(n, n + 100))
      .execute();
  }
  return rows.map((r) => r.id as string);
}

/** What `scripts/jobs.ts` did as a child process. */
export interface JobsCliResult {
  code: number | null;
  report: JobsReport | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/jobs.ts` (what `npm run jobs` runs) in a child process against `sqlitePath`,
 * with the system clock. `onStart` is called once the child has opened the database and is
 * about to run, so the caller can start a competing run at the same moment.
 */
export function runJobsCli(sqlitePath: string, onStart?: () => void): Promise<JobsCliResult> {
  const root = join(__dirname, "..", "..");
  const child = spawn(
    process.execPath,
    [join(root, "node_modules", "vite-node", "dist", "cli.mjs"), "scripts/jobs.ts"],
    {
      cwd: root,
      env: {
        ...process.env,
        SQLITE_PATH: sqlitePath,
        JWT_SECRET: "test-secret",
        NODE_ENV: "test",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let started = false;
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    stderr += d;
    if (!started && stderr.includes("jobs: running")) {
      started = true;
      onStart?.();
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      let report: JobsReport | null;
      try {
        report = JSON.parse(line);
      } catch {
        report = null; // reported through `code` and `stderr`
      }
      resolve({ code, report, stdout, stderr });
    });
  });
}
