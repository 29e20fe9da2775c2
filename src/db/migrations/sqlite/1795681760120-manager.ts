import type { MigrationInterface, QueryRunner } from "typeorm";

export class Manager1795681760120 implements MigrationInterface {
  name = "Manager1795681760120";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_4678079964ab375b2b31849456"');
    await queryRunner.query('DROP INDEX "IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query(
      'CREATE TABLE "temporary_member" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL, "whoCanInvite" varchar(20) NOT NULL DEFAULT (\'EVERYONE\'), "notifyOnInvitation" boolean NOT NULL DEFAULT (1), "reminders" boolean NOT NULL DEFAULT (1))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_member"("id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt") SELECT "id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt" FROM "member"',
    );
    await queryRunner.query('DROP TABLE "member"');
    await queryRunner.query('ALTER TABLE "temporary_member" RENAME TO "member"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member" ("email") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member" ("name") ');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query(
      'CREATE TABLE "temporary_invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text, "remindedAt" datetime, "remindAt" datetime, CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage" FROM "invitation"',
    );
    await queryRunner.query('DROP TABLE "invitation"');
    await queryRunner.query('ALTER TABLE "temporary_invitation" RENAME TO "invitation"');
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt") ',
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
      'CREATE INDEX "IDX_report_sender_created" ON "report" ("senderId", "createdAt") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_report_sender_created"');
    await queryRunner.query('DROP INDEX "IDX_invitation_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_c8a1e0d0e7887e4766a9488c1c"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query('ALTER TABLE "invitation" RENAME TO "temporary_invitation"');
    await queryRunner.query(
      'CREATE TABLE "invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text, CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage" FROM "temporary_invitation"',
    );
    await queryRunner.query('DROP TABLE "temporary_invitation"');
    await queryRunner.query(
      'CREATE INDEX "IDX_d0cf364e2d1f9c03429e1a351d" ON "invitation" ("pairKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt") ',
    );
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query('DROP INDEX "IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query('DROP INDEX "IDX_4678079964ab375b2b31849456"');
    await queryRunner.query('ALTER TABLE "member" RENAME TO "temporary_member"');
    await queryRunner.query(
      'CREATE TABLE "member" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "member"("id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt") SELECT "id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt" FROM "temporary_member"',
    );
    await queryRunner.query('DROP TABLE "temporary_member"');
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member" ("name") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member" ("email") ',
    );
  }
}
