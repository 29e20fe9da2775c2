import type { MigrationInterface, QueryRunner } from "typeorm";
import { FILL_STORED_RELATIONS } from "../stored-relations";

export class StoredRelations1796306423690 implements MigrationInterface {
  name = "StoredRelations1796306423690";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_c8a1e0d0e7887e4766a9488c1c"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query(
      'CREATE TABLE "temporary_invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text, "remindedAt" datetime, "remindAt" datetime, "mutualCount" integer NOT NULL DEFAULT (0), "sameEmployer" boolean NOT NULL DEFAULT (0), "sameIndustry" boolean NOT NULL DEFAULT (0), "sameSchool" boolean NOT NULL DEFAULT (0), CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt" FROM "invitation"',
    );
    await queryRunner.query('DROP TABLE "invitation"');
    await queryRunner.query('ALTER TABLE "temporary_invitation" RENAME TO "invitation"');
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_status_sent" ON "invitation" ("status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c8a1e0d0e7887e4766a9488c1c" ON "invitation" ("remindAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_d0cf364e2d1f9c03429e1a351d" ON "invitation" ("pairKey") ',
    );
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_mutual" ON "invitation" ("recipientId", "status", "mutualCount", "sentAt", "id") ',
    );
    // Hand-added: fill them for the open invitations that exist.
    await queryRunner.query(FILL_STORED_RELATIONS);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_mutual"');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP INDEX "IDX_c8a1e0d0e7887e4766a9488c1c"');
    await queryRunner.query('DROP INDEX "IDX_invitation_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('ALTER TABLE "invitation" RENAME TO "temporary_invitation"');
    await queryRunner.query(
      'CREATE TABLE "invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text, "remindedAt" datetime, "remindAt" datetime, CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage", "remindedAt", "remindAt" FROM "temporary_invitation"',
    );
    await queryRunner.query('DROP TABLE "temporary_invitation"');
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_d0cf364e2d1f9c03429e1a351d" ON "invitation" ("pairKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c8a1e0d0e7887e4766a9488c1c" ON "invitation" ("remindAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_status_sent" ON "invitation" ("status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt", "id") ',
    );
  }
}
