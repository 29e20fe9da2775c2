import type { MigrationInterface, QueryRunner } from "typeorm";

export class FoldedKeys1795689569603 implements MigrationInterface {
  name = "FoldedKeys1795689569603";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_recipient_status_sent"');
    await queryRunner.query('ALTER TABLE "member" ADD "employerKey" character varying(100)');
    await queryRunner.query('ALTER TABLE "member" ADD "industryKey" character varying(100)');
    await queryRunner.query('ALTER TABLE "member" ADD "schoolKey" character varying(100)');
    // Hand-added: fill the keys of existing members as Member.foldKeys would (on SQLite,
    // LOWER is the Unicode-aware function the app registers; on PostgreSQL, its own).
    await queryRunner.query(
      'UPDATE "member" SET "employerKey" = LOWER("employer"), "industryKey" = LOWER("industry"), "schoolKey" = LOWER("school")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_af4490fd7653a433e0e5ba02a9" ON "member"  ("employerKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_29c710d23e2578e1b83b56ef05" ON "member"  ("industryKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c04cbd379dbada9b0cebcb7540" ON "member"  ("schoolKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation"  ("senderId", "sentAt", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation"  ("recipientId", "status", "sentAt", "id") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_c04cbd379dbada9b0cebcb7540"');
    await queryRunner.query('DROP INDEX "public"."IDX_29c710d23e2578e1b83b56ef05"');
    await queryRunner.query('DROP INDEX "public"."IDX_af4490fd7653a433e0e5ba02a9"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "schoolKey"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "industryKey"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "employerKey"');
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation" USING btree ("recipientId", "status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation" USING btree ("senderId", "sentAt") ',
    );
  }
}
