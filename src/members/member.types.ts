import { registerEnumType } from "type-graphql";
import { ConnectionType } from "../common/pagination";
import { Member } from "./member.entity";

export enum ConnectionDegree {
  SELF = "SELF",
  FIRST = "FIRST",
  SECOND = "SECOND",
  THIRD_PLUS = "THIRD_PLUS",
}
registerEnumType(ConnectionDegree, {
  name: "ConnectionDegree",
  description: "How far a member is from the viewer in the network.",
  valuesConfig: {
    SELF: { description: "The viewer themself." },
    FIRST: { description: "Connected to the viewer." },
    SECOND: { description: "Not connected, but shares at least one connection with the viewer." },
    THIRD_PLUS: { description: "Further away, or unknown." },
  },
});

export const MemberConnection = ConnectionType(Member, "Member");
