import { Initial1795680187181 } from "./1795680187181-initial";

/** Every migration in order; the DataSource runs the pending ones at start-up. */
export const migrations = [Initial1795680187181];
