import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "../codegen";

/**
 * `npm run codegen`: writes the typed documents and the manifest of trusted documents (see
 * codegen.ts). Commit what it writes: the tests compare it with a fresh run.
 */
async function main(): Promise<void> {
  const root = join(__dirname, "..");
  for (const { filename, content } of await generate(root)) {
    writeFileSync(join(root, filename), content);
    console.log(`wrote ${filename}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
