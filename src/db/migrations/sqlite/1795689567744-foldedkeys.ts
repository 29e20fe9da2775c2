import type { MigrationInterface, QueryRunner } from "typeorm";

export class FoldedKeys1795689567744 implements MigrationInterface {
  name = "FoldedKeys1795689567744";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query('DROP INDEX "IDX_4678079964ab375b2b31849456"');
    await queryRunner.query(
      'CREATE TABLE "temporary_member" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL, "whoCanInvite" varchar(20) NOT NULL DEFAULT (\'EVERYONE\'), "notifyOnInvitation" boolean NOT NULL DEFAULT (1), "reminders" boolean NOT NULL DEFAULT (1), "employerKey" varchar(100), "industryKey" varchar(100), "schoolKey" varchar(100))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_member"("id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt", "whoCanInvite", "notifyOnInvitation", "reminders") SELECT "id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt", "whoCanInvite", "notifyOnInvitation", "reminders" FROM "member"',
    );
    await queryRunner.query('DROP TABLE "member"');
    await queryRunner.query('ALTER TABLE "temporary_member" RENAME TO "member"');
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member" ("name") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member" ("email") ',
    );
    // Hand-added: fill the keys of existing members as Member.foldKeys would (on SQLite,
    // LOWER is the Unicode-aware function the app registers; on PostgreSQL, its own).
    await queryRunner.query(
      'UPDATE "member" SET "employerKey" = LOWER("employer"), "industryKey" = LOWER("industry"), "schoolKey" = LOWER("school")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_af4490fd7653a433e0e5ba02a9" ON "member" ("employerKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_29c710d23e2578e1b83b56ef05" ON "member" ("industryKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c04cbd379dbada9b0cebcb7540" ON "member" ("schoolKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt", "id") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "IDX_c04cbd379dbada9b0cebcb7540"');
    await queryRunner.query('DROP INDEX "IDX_29c710d23e2578e1b83b56ef05"');
    await queryRunner.query('DROP INDEX "IDX_af4490fd7653a433e0e5ba02a9"');
    await queryRunner.query('DROP INDEX "IDX_4678079964ab375b2b31849456"');
    await queryRunner.query('DROP INDEX "IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query('ALTER TABLE "member" RENAME TO "temporary_member"');
    await queryRunner.query(
      'CREATE TABLE "member" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL, "whoCanInvite" varchar(20) NOT NULL DEFAULT (\'EVERYONE\'), "notifyOnInvitation" boolean NOT NULL DEFAULT (1), "reminders" boolean NOT NULL DEFAULT (1))',
    );
    await queryRunner.query(
      'INSERT INTO "member"("id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt", "whoCanInvite", "notifyOnInvitation", "reminders") SELECT "id", "name", "email", "passwordHash", "headline", "employer", "industry", "school", "createdAt", "whoCanInvite", "notifyOnInvitation", "reminders" FROM "temporary_member"',
    );
    await queryRunner.query('DROP TABLE "temporary_member"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member" ("email") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member" ("name") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" ("recipientId", "status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" ("senderId", "sentAt") ',
    );
  }
}
