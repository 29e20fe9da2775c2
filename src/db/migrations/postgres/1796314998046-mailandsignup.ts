import type { MigrationInterface, QueryRunner } from "typeorm";

export class MailAndSignUp1796314998046 implements MigrationInterface {
  name = "MailAndSignUp1796314998046";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "mail_outbox" ("id" character varying(36) NOT NULL, "to" character varying(254) NOT NULL, "subject" character varying(300) NOT NULL, "text" text NOT NULL, "html" text NOT NULL, "headers" text, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL DEFAULT \'0\', "nextAttemptAt" TIMESTAMP WITH TIME ZONE NOT NULL, "claimedUntil" TIMESTAMP WITH TIME ZONE, "lastError" character varying(500), CONSTRAINT "PK_fecc63c96385bc35a39ccf2a72e" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mail_outbox_due" ON "mail_outbox"  ("nextAttemptAt") ',
    );
    await queryRunner.query(
      'CREATE TABLE "pending_sign_up" ("id" character varying(36) NOT NULL, "email" character varying(254) NOT NULL, "tokenHash" character varying(64) NOT NULL, "name" character varying(100) NOT NULL, "passwordHash" character varying(200) NOT NULL, "headline" character varying(200), "employer" character varying(100), "industry" character varying(100), "school" character varying(100), "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "expiresAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c1268c2377fd7076e724064cd47" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_383cf58c84d6d997e2c2084f27" ON "pending_sign_up"  ("email") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_ea2bfbcaacdecc8c5520029fc1" ON "pending_sign_up"  ("tokenHash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_8f2e3d4557968ca84a2ee9ff82" ON "pending_sign_up"  ("expiresAt") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_8f2e3d4557968ca84a2ee9ff82"');
    await queryRunner.query('DROP INDEX "public"."IDX_ea2bfbcaacdecc8c5520029fc1"');
    await queryRunner.query('DROP INDEX "public"."IDX_383cf58c84d6d997e2c2084f27"');
    await queryRunner.query('DROP TABLE "pending_sign_up"');
    await queryRunner.query('DROP INDEX "public"."IDX_mail_outbox_due"');
    await queryRunner.query('DROP TABLE "mail_outbox"');
  }
}
