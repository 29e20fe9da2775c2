import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: ADD COLUMN instead of the generated rebuild of "notification". Notifications
 * that exist are marked as considered (SKIPPED): mail starts with what happens after the
 * upgrade, never with a member's whole history. The two indexes serve a deletion's cascades.
 */
export class NotificationMail1796319262095 implements MigrationInterface {
  name = "NotificationMail1796319262095";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "email_preference" ("memberId" varchar(36) NOT NULL, "kind" varchar(30) NOT NULL, "email" varchar(20) NOT NULL, CONSTRAINT "FK_94b23e20da2ebfc520e2d1ded49" FOREIGN KEY ("memberId") REFERENCES "member" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("memberId", "kind"))',
    );
    await queryRunner.query('ALTER TABLE "notification" ADD COLUMN "mail" varchar(10)');
    await queryRunner.query(`UPDATE "notification" SET "mail" = 'SKIPPED'`);
    await queryRunner.query('CREATE INDEX "IDX_report_invitation" ON "report" ("invitationId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_mail" ON "notification" ("mail", "createdAt") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_notification_actor" ON "notification" ("actorId") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_notification_actor"');
    await queryRunner.query('DROP INDEX "IDX_notification_mail"');
    await queryRunner.query('DROP INDEX "IDX_report_invitation"');
    await queryRunner.query('ALTER TABLE "notification" DROP COLUMN "mail"');
    await queryRunner.query('DROP TABLE "email_preference"');
  }
}
