import { Field, ID, InterfaceType } from "type-graphql";

/** Relay's Node interface: everything with a stable id. */
@InterfaceType({ description: "An object with a stable, opaque id." })
export abstract class Node {
  @Field(() => ID, { description: "Opaque identifier." })
  id: string;
}
