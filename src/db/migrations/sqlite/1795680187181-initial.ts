import type { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795680187181 implements MigrationInterface {
  name = "Initial1795680187181";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "member" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member" ("name") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member" ("email") ',
    );
    await queryRunner.query(
      'CREATE TABLE "block" ("blockerId" varchar(36) NOT NULL, "blockedId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, PRIMARY KEY ("blockerId", "blockedId"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_block_blocked" ON "block" ("blockedId", "blockerId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "connection" ("memberId" varchar(36) NOT NULL, "otherId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, PRIMARY KEY ("memberId", "otherId"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_connection_other" ON "connection" ("otherId", "memberId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text)',
    );
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
    await queryRunner.query(
      'CREATE TABLE "report" ("id" varchar(36) PRIMARY KEY NOT NULL, "reporterId" varchar(36) NOT NULL, "senderId" varchar(36) NOT NULL, "invitationId" varchar(36) NOT NULL, "reason" varchar(20) NOT NULL, "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_report_reporter_sender" ON "report" ("reporterId", "senderId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "notification" ("id" varchar(36) PRIMARY KEY NOT NULL, "recipientId" varchar(36) NOT NULL, "seq" integer NOT NULL, "kind" varchar(30) NOT NULL, "actorId" varchar(36), "invitationId" varchar(36), "message" text, "read" boolean NOT NULL DEFAULT (0), "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_invitation" ON "notification" ("invitationId") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_notification_recipient_seq" ON "notification" ("recipientId", "seq") ',
    );
    await queryRunner.query('DROP INDEX "IDX_block_blocked"');
    await queryRunner.query(
      'CREATE TABLE "temporary_block" ("blockerId" varchar(36) NOT NULL, "blockedId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, CONSTRAINT "FK_9ebc8defd368bfbada61840691b" FOREIGN KEY ("blockerId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_d5c13d1ced558f476dd2268c4eb" FOREIGN KEY ("blockedId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("blockerId", "blockedId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_block"("blockerId", "blockedId", "createdAt") SELECT "blockerId", "blockedId", "createdAt" FROM "block"',
    );
    await queryRunner.query('DROP TABLE "block"');
    await queryRunner.query('ALTER TABLE "temporary_block" RENAME TO "block"');
    await queryRunner.query(
      'CREATE INDEX "IDX_block_blocked" ON "block" ("blockedId", "blockerId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_connection_other"');
    await queryRunner.query(
      'CREATE TABLE "temporary_connection" ("memberId" varchar(36) NOT NULL, "otherId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, CONSTRAINT "FK_54e254412369d172d9db023c502" FOREIGN KEY ("memberId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_09afb671edb12260bfc434f9ca3" FOREIGN KEY ("otherId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("memberId", "otherId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_connection"("memberId", "otherId", "createdAt") SELECT "memberId", "otherId", "createdAt" FROM "connection"',
    );
    await queryRunner.query('DROP TABLE "connection"');
    await queryRunner.query('ALTER TABLE "temporary_connection" RENAME TO "connection"');
    await queryRunner.query(
      'CREATE INDEX "IDX_connection_other" ON "connection" ("otherId", "memberId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query(
      'CREATE TABLE "temporary_invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text, CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage" FROM "invitation"',
    );
    await queryRunner.query('DROP TABLE "invitation"');
    await queryRunner.query('ALTER TABLE "temporary_invitation" RENAME TO "invitation"');
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
    await queryRunner.query('DROP INDEX "IDX_report_reporter_sender"');
    await queryRunner.query(
      'CREATE TABLE "temporary_report" ("id" varchar(36) PRIMARY KEY NOT NULL, "reporterId" varchar(36) NOT NULL, "senderId" varchar(36) NOT NULL, "invitationId" varchar(36) NOT NULL, "reason" varchar(20) NOT NULL, "createdAt" datetime NOT NULL, CONSTRAINT "FK_253163ca85b927f62596606f6cc" FOREIGN KEY ("reporterId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_d11e7680f240ebe28bf69e4d215" FOREIGN KEY ("senderId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_989c538a98a4bb04b95f3c14621" FOREIGN KEY ("invitationId") REFERENCES "invitation" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_report"("id", "reporterId", "senderId", "invitationId", "reason", "createdAt") SELECT "id", "reporterId", "senderId", "invitationId", "reason", "createdAt" FROM "report"',
    );
    await queryRunner.query('DROP TABLE "report"');
    await queryRunner.query('ALTER TABLE "temporary_report" RENAME TO "report"');
    await queryRunner.query(
      'CREATE INDEX "IDX_report_reporter_sender" ON "report" ("reporterId", "senderId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_notification_invitation"');
    await queryRunner.query('DROP INDEX "UQ_notification_recipient_seq"');
    await queryRunner.query(
      'CREATE TABLE "temporary_notification" ("id" varchar(36) PRIMARY KEY NOT NULL, "recipientId" varchar(36) NOT NULL, "seq" integer NOT NULL, "kind" varchar(30) NOT NULL, "actorId" varchar(36), "invitationId" varchar(36), "message" text, "read" boolean NOT NULL DEFAULT (0), "createdAt" datetime NOT NULL, CONSTRAINT "FK_ab7cbe7a013ecac5da0a8f88884" FOREIGN KEY ("recipientId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_c5133a026bd1b3d9feccac1a234" FOREIGN KEY ("actorId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_8ed10d53bff132f70e5b5841163" FOREIGN KEY ("invitationId") REFERENCES "invitation" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_notification"("id", "recipientId", "seq", "kind", "actorId", "invitationId", "message", "read", "createdAt") SELECT "id", "recipientId", "seq", "kind", "actorId", "invitationId", "message", "read", "createdAt" FROM "notification"',
    );
    await queryRunner.query('DROP TABLE "notification"');
    await queryRunner.query('ALTER TABLE "temporary_notification" RENAME TO "notification"');
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_invitation" ON "notification" ("invitationId") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_notification_recipient_seq" ON "notification" ("recipientId", "seq") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "UQ_notification_recipient_seq"');
    await queryRunner.query('DROP INDEX "IDX_notification_invitation"');
    await queryRunner.query('ALTER TABLE "notification" RENAME TO "temporary_notification"');
    await queryRunner.query(
      'CREATE TABLE "notification" ("id" varchar(36) PRIMARY KEY NOT NULL, "recipientId" varchar(36) NOT NULL, "seq" integer NOT NULL, "kind" varchar(30) NOT NULL, "actorId" varchar(36), "invitationId" varchar(36), "message" text, "read" boolean NOT NULL DEFAULT (0), "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "notification"("id", "recipientId", "seq", "kind", "actorId", "invitationId", "message", "read", "createdAt") SELECT "id", "recipientId", "seq", "kind", "actorId", "invitationId", "message", "read", "createdAt" FROM "temporary_notification"',
    );
    await queryRunner.query('DROP TABLE "temporary_notification"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_notification_recipient_seq" ON "notification" ("recipientId", "seq") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_invitation" ON "notification" ("invitationId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_report_reporter_sender"');
    await queryRunner.query('ALTER TABLE "report" RENAME TO "temporary_report"');
    await queryRunner.query(
      'CREATE TABLE "report" ("id" varchar(36) PRIMARY KEY NOT NULL, "reporterId" varchar(36) NOT NULL, "senderId" varchar(36) NOT NULL, "invitationId" varchar(36) NOT NULL, "reason" varchar(20) NOT NULL, "createdAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "report"("id", "reporterId", "senderId", "invitationId", "reason", "createdAt") SELECT "id", "reporterId", "senderId", "invitationId", "reason", "createdAt" FROM "temporary_report"',
    );
    await queryRunner.query('DROP TABLE "temporary_report"');
    await queryRunner.query(
      'CREATE INDEX "IDX_report_reporter_sender" ON "report" ("reporterId", "senderId") ',
    );
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('ALTER TABLE "invitation" RENAME TO "temporary_invitation"');
    await queryRunner.query(
      'CREATE TABLE "invitation" ("id" varchar(36) PRIMARY KEY NOT NULL, "senderId" varchar(36) NOT NULL, "recipientId" varchar(36) NOT NULL, "pairKey" varchar(73) NOT NULL, "message" text, "status" varchar(20) NOT NULL, "sentAt" datetime NOT NULL, "respondedAt" datetime, "responseMessage" text)',
    );
    await queryRunner.query(
      'INSERT INTO "invitation"("id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage") SELECT "id", "senderId", "recipientId", "pairKey", "message", "status", "sentAt", "respondedAt", "responseMessage" FROM "temporary_invitation"',
    );
    await queryRunner.query('DROP TABLE "temporary_invitation"');
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
    await queryRunner.query('DROP INDEX "IDX_connection_other"');
    await queryRunner.query('ALTER TABLE "connection" RENAME TO "temporary_connection"');
    await queryRunner.query(
      'CREATE TABLE "connection" ("memberId" varchar(36) NOT NULL, "otherId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, PRIMARY KEY ("memberId", "otherId"))',
    );
    await queryRunner.query(
      'INSERT INTO "connection"("memberId", "otherId", "createdAt") SELECT "memberId", "otherId", "createdAt" FROM "temporary_connection"',
    );
    await queryRunner.query('DROP TABLE "temporary_connection"');
    await queryRunner.query(
      'CREATE INDEX "IDX_connection_other" ON "connection" ("otherId", "memberId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_block_blocked"');
    await queryRunner.query('ALTER TABLE "block" RENAME TO "temporary_block"');
    await queryRunner.query(
      'CREATE TABLE "block" ("blockerId" varchar(36) NOT NULL, "blockedId" varchar(36) NOT NULL, "createdAt" datetime NOT NULL, PRIMARY KEY ("blockerId", "blockedId"))',
    );
    await queryRunner.query(
      'INSERT INTO "block"("blockerId", "blockedId", "createdAt") SELECT "blockerId", "blockedId", "createdAt" FROM "temporary_block"',
    );
    await queryRunner.query('DROP TABLE "temporary_block"');
    await queryRunner.query(
      'CREATE INDEX "IDX_block_blocked" ON "block" ("blockedId", "blockerId") ',
    );
    await queryRunner.query('DROP INDEX "UQ_notification_recipient_seq"');
    await queryRunner.query('DROP INDEX "IDX_notification_invitation"');
    await queryRunner.query('DROP TABLE "notification"');
    await queryRunner.query('DROP INDEX "IDX_report_reporter_sender"');
    await queryRunner.query('DROP TABLE "report"');
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP TABLE "invitation"');
    await queryRunner.query('DROP INDEX "IDX_connection_other"');
    await queryRunner.query('DROP TABLE "connection"');
    await queryRunner.query('DROP INDEX "IDX_block_blocked"');
    await queryRunner.query('DROP TABLE "block"');
    await queryRunner.query('DROP INDEX "IDX_4678079964ab375b2b31849456"');
    await queryRunner.query('DROP INDEX "IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query('DROP TABLE "member"');
  }
}
