import type { Deps } from "./common/deps";
import type { Loaders } from "./loaders";
import type { Services } from "./services";

/** What every resolver receives: who is asking, the services, and this request's loaders. */
export interface Context {
  viewerId: string | null;
  services: Services;
  loaders: Loaders;
  deps: Deps;
}
