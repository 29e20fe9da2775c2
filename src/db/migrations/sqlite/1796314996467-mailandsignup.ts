import type { MigrationInterface, QueryRunner } from "typeorm";

export class MailAndSignUp1796314996467 implements MigrationInterface {
  name = "MailAndSignUp1796314996467";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "mail_outbox" ("id" varchar(36) PRIMARY KEY NOT NULL, "to" varchar(254) NOT NULL, "subject" varchar(300) NOT NULL, "text" text NOT NULL, "html" text NOT NULL, "headers" text, "createdAt" datetime NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "nextAttemptAt" datetime NOT NULL, "claimedUntil" datetime, "lastError" varchar(500))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mail_outbox_due" ON "mail_outbox" ("nextAttemptAt") ',
    );
    await queryRunner.query(
      'CREATE TABLE "pending_sign_up" ("id" varchar(36) PRIMARY KEY NOT NULL, "email" varchar(254) NOT NULL, "tokenHash" varchar(64) NOT NULL, "name" varchar(100) NOT NULL, "passwordHash" varchar(200) NOT NULL, "headline" varchar(200), "employer" varchar(100), "industry" varchar(100), "school" varchar(100), "createdAt" datetime NOT NULL, "expiresAt" datetime NOT NULL)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_383cf58c84d6d997e2c2084f27" ON "pending_sign_up" ("email") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_ea2bfbcaacdecc8c5520029fc1" ON "pending_sign_up" ("tokenHash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_8f2e3d4557968ca84a2ee9ff82" ON "pending_sign_up" ("expiresAt") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_8f2e3d4557968ca84a2ee9ff82"');
    await queryRunner.query('DROP INDEX "IDX_ea2bfbcaacdecc8c5520029fc1"');
    await queryRunner.query('DROP INDEX "IDX_383cf58c84d6d997e2c2084f27"');
    await queryRunner.query('DROP TABLE "pending_sign_up"');
    await queryRunner.query('DROP INDEX "IDX_mail_outbox_due"');
    await queryRunner.query('DROP TABLE "mail_outbox"');
  }
}
