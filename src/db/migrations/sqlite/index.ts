import { Initial1795680187181 } from "./1795680187181-initial";
import { Manager1795681760120 } from "./1795681760120-manager";
import { FoldedKeys1795689567744 } from "./1795689567744-foldedkeys";
import { StoredRelations1796306423690 } from "./1796306423690-storedrelations";
import { MailAndSignUp1796314996467 } from "./1796314996467-mailandsignup";
import { Policies1796316257735 } from "./1796316257735-policies";
import { RestrictedUntil1796317318643 } from "./1796317318643-restricteduntil";
import { NotificationMail1796319262095 } from "./1796319262095-notificationmail";

/** SQLite migrations in order; the DataSource runs the pending ones at start-up. */
export const sqliteMigrations = [
  Initial1795680187181,
  Manager1795681760120,
  FoldedKeys1795689567744,
  StoredRelations1796306423690,
  MailAndSignUp1796314996467,
  Policies1796316257735,
  RestrictedUntil1796317318643,
  NotificationMail1796319262095,
];
