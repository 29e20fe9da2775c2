import { AccountService } from "./account/account.service";
import { AuthService } from "./auth/auth.service";
import { BlockService } from "./blocks/block.service";
import type { Deps } from "./deps";
import { ConnectionService } from "./connections/connection.service";
import { InvitationService } from "./invitations/invitation.service";
import { JobService } from "./jobs/jobs.service";
import { MemberService } from "./members/member.service";
import { NotificationMailer } from "./notifications/notification-mail";
import { NotificationService } from "./notifications/notification.service";

/** Builds every service once per server; resolvers reach them through the context. */
export function createServices(deps: Deps) {
  const notifications = new NotificationService(deps);
  const connections = new ConnectionService(deps);
  const blocks = new BlockService(deps, connections);
  const invitations = new InvitationService(deps, notifications, connections);
  const auth = new AuthService(deps);
  const members = new MemberService(deps);
  const jobs = new JobService(deps, notifications);
  const account = new AccountService(deps, connections, notifications);
  const notificationMail = new NotificationMailer(deps);
  return {
    auth,
    notifications,
    notificationMail,
    connections,
    blocks,
    invitations,
    members,
    jobs,
    account,
  };
}

export type Services = ReturnType<typeof createServices>;
