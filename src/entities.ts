import { BlockRecord } from "./blocks/block.entity";
import { ConnectionRecord } from "./connections/connection.entity";
import { InvitationRecord } from "./invitations/invitation.entity";
import { ReportRecord } from "./invitations/report.entity";
import { Member } from "./members/member.entity";
import { NotificationRecord } from "./notifications/notification.entity";
import { OutboxMail } from "./mail/outbox.entity";
import { PendingSignUp } from "./auth/sign-up.entity";
import { EmailPreferenceRecord } from "./notifications/email-preference.entity";

/** Every entity, listed explicitly (no globs: the same list works from .ts and from dist/). */
export const entities = [
  Member,
  InvitationRecord,
  ConnectionRecord,
  BlockRecord,
  ReportRecord,
  NotificationRecord,
  OutboxMail,
  PendingSignUp,
  EmailPreferenceRecord,
];
