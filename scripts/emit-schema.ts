/** Writes schema/schema.graphql from the code (npm run schema). */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { emitSchemaText } from "../src/schema";

emitSchemaText()
  .then((sdl) => {
    writeFileSync("schema/schema.graphql", sdl);
    console.log("Wrote schema/schema.graphql");
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
