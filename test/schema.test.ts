import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLSchema,
} from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAppSchema, emitSchemaText } from "../src/schema";

let schema: GraphQLSchema;

beforeAll(async () => {
  schema = await buildAppSchema();
});

describe("schema/schema.graphql", () => {
  it("is exactly what the code emits (run `npm run schema` after changing the API)", async () => {
    const committed = readFileSync(join(__dirname, "..", "schema", "schema.graphql"), "utf8");
    expect(committed).toBe(await emitSchemaText());
  });
});

describe("descriptions", () => {
  it("document every type, field and argument", () => {
    const missing: string[] = [];
    const need = (what: string, description: string | null | undefined) => {
      if (!description?.trim()) missing.push(what);
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
      need(type.name, type.description);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          need(`${type.name}.${field.name}`, field.description);
          for (const arg of field.args) {
            need(`${type.name}.${field.name}(${arg.name})`, arg.description);
          }
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          need(`${type.name}.${field.name}`, field.description);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("document every enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || !isEnumType(type)) continue;
      for (const value of type.getValues()) {
        if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("the contract's names (docs/api.md)", () => {
  const root: Record<string, Record<string, string[]>> = {
    Query: {
      viewer: [],
      member: ["id"],
      invitation: ["id"],
      receivedInvitations: ["filter", "orderBy", "first", "after"],
      sentInvitations: ["status", "first", "after"],
      connections: ["first", "after"],
      notifications: ["unreadOnly", "first", "after"],
      blockedMembers: [],
    },
    Mutation: {
      signUp: ["input"],
      logIn: ["email", "password"],
      sendInvitation: ["input"],
      acceptInvitation: ["id", "message"],
      ignoreInvitation: ["id"],
      declineInvitation: ["id", "message"],
      withdrawInvitation: ["id"],
      reportInvitation: ["id", "reason"],
      blockMember: ["id"],
      unblockMember: ["id"],
      removeConnection: ["memberId"],
      markNotificationsRead: ["ids"],
    },
    Subscription: {
      notificationAdded: ["after"],
      invitationReceived: [],
      invitationAccepted: [],
      invitationDeclined: [],
    },
  };
  for (const [typeName, fields] of Object.entries(root)) {
    it(`${typeName} has the contract's fields and arguments`, () => {
      const type = schema.getType(typeName);
      expect(isObjectType(type)).toBe(true);
      if (!isObjectType(type)) return;
      const have = type.getFields();
      for (const [field, args] of Object.entries(fields)) {
        expect(have[field], `${typeName}.${field}`).toBeDefined();
        expect(have[field].args.map((a) => a.name).sort()).toEqual(
          expect.arrayContaining([...args].sort()),
        );
      }
    });
  }

  it("has the contract's object fields and enum values", () => {
    const objects: Record<string, string[]> = {
      Member: [
        "id",
        "name",
        "headline",
        "employer",
        "industry",
        "school",
        "mutualConnectionsCount",
        "degree",
        "email",
        "connections",
      ],
      Invitation: [
        "id",
        "sender",
        "recipient",
        "message",
        "status",
        "sentAt",
        "respondedAt",
        "responseMessage",
      ],
      Notification: ["id", "kind", "actor", "invitation", "message", "read", "createdAt", "cursor"],
    };
    for (const [name, fields] of Object.entries(objects)) {
      const type = schema.getType(name);
      if (!isObjectType(type)) throw new Error(`${name} is not an object type`);
      expect(Object.keys(type.getFields())).toEqual(expect.arrayContaining(fields));
      expect(type.getInterfaces().map((i) => i.name)).toContain("Node");
    }
    const enums: Record<string, string[]> = {
      ConnectionDegree: ["SELF", "FIRST", "SECOND", "THIRD_PLUS"],
      InvitationStatus: ["PENDING", "ACCEPTED", "IGNORED", "DECLINED", "WITHDRAWN", "EXPIRED"],
      NotificationKind: [
        "INVITATION_RECEIVED",
        "INVITATION_ACCEPTED",
        "INVITATION_DECLINED",
        "INVITATION_REMINDER",
      ],
      ReportReason: ["I_DONT_KNOW", "SPAM"],
    };
    for (const [name, values] of Object.entries(enums)) {
      const type = schema.getType(name);
      if (!isEnumType(type)) throw new Error(`${name} is not an enum`);
      expect(type.getValues().map((v) => v.name)).toEqual(expect.arrayContaining(values));
    }
  });
});
