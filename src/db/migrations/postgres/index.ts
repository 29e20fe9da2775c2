import { Initial1795683128203 } from "./1795683128203-initial";
import { FoldedKeys1795689569603 } from "./1795689569603-foldedkeys";
import { StoredRelations1796306425000 } from "./1796306425000-storedrelations";
import { MailAndSignUp1796314998046 } from "./1796314998046-mailandsignup";
import { Policies1796316259956 } from "./1796316259956-policies";
import { RestrictedUntil1796317318979 } from "./1796317318979-restricteduntil";
import { NotificationMail1796319264226 } from "./1796319264226-notificationmail";

/** PostgreSQL migrations in order (the same entities as the SQLite set). */
export const postgresMigrations = [
  Initial1795683128203,
  FoldedKeys1795689569603,
  StoredRelations1796306425000,
  MailAndSignUp1796314998046,
  Policies1796316259956,
  RestrictedUntil1796317318979,
  NotificationMail1796319264226,
];
