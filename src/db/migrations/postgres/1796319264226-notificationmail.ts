import type { MigrationInterface, QueryRunner } from "typeorm";

export class NotificationMail1796319264226 implements MigrationInterface {
  name = "NotificationMail1796319264226";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "email_preference" ("memberId" character varying(36) NOT NULL, "kind" character varying(30) NOT NULL, "email" character varying(20) NOT NULL, CONSTRAINT "PK_f8d28ba8742702ee77c8403a4b4" PRIMARY KEY ("memberId", "kind"))',
    );
    await queryRunner.query('ALTER TABLE "notification" ADD "mail" character varying(10)');
    // Hand-added: mail starts with what happens after the upgrade, not with the history.
    await queryRunner.query('UPDATE "notification" SET "mail" = \'SKIPPED\'');
    await queryRunner.query('CREATE INDEX "IDX_report_invitation" ON "report"  ("invitationId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_mail" ON "notification"  ("mail", "createdAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_actor" ON "notification"  ("actorId") ',
    );
    await queryRunner.query(
      'ALTER TABLE "email_preference" ADD CONSTRAINT "FK_94b23e20da2ebfc520e2d1ded49" FOREIGN KEY ("memberId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "email_preference" DROP CONSTRAINT "FK_94b23e20da2ebfc520e2d1ded49"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_notification_actor"');
    await queryRunner.query('DROP INDEX "public"."IDX_notification_mail"');
    await queryRunner.query('DROP INDEX "public"."IDX_report_invitation"');
    await queryRunner.query('ALTER TABLE "notification" DROP COLUMN "mail"');
    await queryRunner.query('DROP TABLE "email_preference"');
  }
}
