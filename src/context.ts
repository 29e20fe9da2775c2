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

/**
 * The context of one operation. Its loaders are made on first use: many operations (and
 * every idle subscription) need none. The getter lives on the prototype on purpose: Apollo
 * copies the context with `Object.assign` onto an object of the same prototype, which would
 * call an own getter (building the loaders on every request) but keeps this one lazy.
 */
export class OperationContext implements Context {
  private made?: Loaders;

  constructor(
    public viewerId: string | null,
    public services: Services,
    public deps: Deps,
    private readonly makeLoaders: (viewerId: string | null) => Loaders,
  ) {}

  get loaders(): Loaders {
    return (this.made ??= this.makeLoaders(this.viewerId));
  }

  set loaders(value: Loaders) {
    this.made = value;
  }
}
