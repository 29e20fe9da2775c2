import escapeHtml from "escape-html";
import type { RequestHandler } from "express";
import type { NotificationMailer } from "./notification-mail";

/**
 * `/unsubscribe?token=...`, the link of every notification mail (List-Unsubscribe). POST turns
 * the token's kinds of e-mail off at once: the one-click of RFC 8058, sent by the mail client
 * with `List-Unsubscribe=One-Click`. GET only shows a page with a button that POSTs, because
 * mail scanners follow links: a GET that unsubscribed would unsubscribe people by itself.
 * No login: the token is signed for one member and those kinds.
 */
export function unsubscribeHandler(mailer: NotificationMailer): RequestHandler {
  return (req, res, next) => {
    const token = typeof req.query.token === "string" ? req.query.token : "";
    res.set("cache-control", "no-store");
    if (req.method === "GET") {
      res
        .type("html")
        .send(
          page(
            "Stop these e-mails?",
            `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">` +
              `<button type="submit">Unsubscribe</button></form>`,
          ),
        );
      return;
    }
    mailer.unsubscribe(token).then((done) => {
      if (done)
        res
          .type("html")
          .send(page("Unsubscribed", "<p>You will get no more of these e-mails.</p>"));
      else res.status(400).type("html").send(page("This link is not valid", ""));
    }, next);
  };
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}
