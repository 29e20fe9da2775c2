/**
 * The query fields that read the directory: every member, not only the viewer's own contacts
 * and invitations. Their answers change when anyone signs up, so the response cache keeps
 * them against the directory's version too (db/changes.ts).
 */
export const DIRECTORY_FIELDS: ReadonlySet<string> = new Set([
  "member",
  "members",
  "suggestedMembers",
]);
