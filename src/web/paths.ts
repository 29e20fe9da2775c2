import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Where `npm run build` puts the example client: `dist/web` under the package root, found
 * from this file whether it runs from source (src/web) or compiled (dist/src/web).
 */
export function defaultAppDir(): string {
  return join(packageRoot(), "dist", "web");
}

/** Where `npm run build` puts the GraphiQL page: `dist/graphiql` under the package root. */
export function defaultGraphiqlDir(): string {
  return join(packageRoot(), "dist", "graphiql");
}

function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
