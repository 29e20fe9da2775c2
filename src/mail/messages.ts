import escapeHtml from "escape-html";
import type { MailMessage } from "./outbox";

/**
 * A mail from paragraphs of plain text and at most one link: the text part as is, the HTML
 * part escaped (names and notes are the members' own words), so both say the same.
 */
export function compose(
  to: string,
  subject: string,
  paragraphs: string[],
  link?: { label: string; url: string },
): MailMessage {
  const text = [...paragraphs, ...(link ? [`${link.label}: ${link.url}`] : [])].join("\n\n");
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
  ].join("\n");
  return {
    to,
    subject,
    text: text + "\n",
    html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n`,
  };
}
