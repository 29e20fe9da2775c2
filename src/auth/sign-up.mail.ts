import { compose } from "../mail/messages";
import type { MailMessage } from "../mail/outbox";

/** The link a new address gets; the token travels in the fragment, never in a server log. */
export function verificationMail(
  to: string,
  name: string,
  token: string,
  publicUrl: string,
  validHours: number,
): MailMessage {
  return compose(
    to,
    "Confirm your email address",
    [
      `Hello ${name},`,
      `Someone (we hope you) signed up with this address. Follow the link within ${validHours} hours to confirm it and activate the account.`,
      `Or use this code with the verifyEmail mutation: ${token}`,
      "If you did not sign up, ignore this mail: no account is created without it.",
    ],
    { label: "Confirm my address", url: `${publicUrl}/app/#verify-email=${token}` },
  );
}

/** What a registered address gets instead: the answer to the sign-up itself was the same. */
export function alreadyRegisteredMail(to: string, publicUrl: string): MailMessage {
  return compose(
    to,
    "Someone tried to sign up with your address",
    [
      "Someone tried to create an account with this address, which already has one. Nothing changed.",
      "If it was you, log in instead. If it was not you, ignore this mail: your account is as it was.",
    ],
    { label: "Log in", url: `${publicUrl}/app/` },
  );
}
