import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
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

export enum SuggestionReason {
  SHARED_CONNECTIONS = "SHARED_CONNECTIONS",
  SAME_EMPLOYER = "SAME_EMPLOYER",
  SAME_SCHOOL = "SAME_SCHOOL",
  SAME_INDUSTRY = "SAME_INDUSTRY",
}
registerEnumType(SuggestionReason, {
  name: "SuggestionReason",
  description: "Why a member is suggested to the viewer.",
  valuesConfig: {
    SHARED_CONNECTIONS: { description: "Shares at least one connection with the viewer." },
    SAME_EMPLOYER: { description: "Has the viewer's employer (compared case-insensitively)." },
    SAME_SCHOOL: { description: "Went to the viewer's school (compared case-insensitively)." },
    SAME_INDUSTRY: { description: "Works in the viewer's industry (compared case-insensitively)." },
  },
});

@ObjectType({
  simpleResolvers: true,
  description:
    "A member the viewer may know: not connected, no open invitation either way, no block either way.",
})
export class MemberSuggestion {
  @Field(() => Member, { description: "The suggested member." })
  member: Member;

  @Field(() => [SuggestionReason], {
    description:
      "Every reason that holds, in the order SHARED_CONNECTIONS, SAME_EMPLOYER, SAME_SCHOOL, SAME_INDUSTRY; never empty.",
  })
  reasons: SuggestionReason[];

  @Field(() => Int, { description: "How many connections the member shares with the viewer." })
  sharedConnectionsCount: number;
}
