import type { MigrationInterface, QueryRunner } from "typeorm";
import { FILL_STORED_RELATIONS } from "../stored-relations";

export class StoredRelations1796306425000 implements MigrationInterface {
  name = "StoredRelations1796306425000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD "mutualCount" integer NOT NULL DEFAULT \'0\'',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD "sameEmployer" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD "sameIndustry" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD "sameSchool" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_mutual" ON "invitation"  ("recipientId", "status", "mutualCount", "sentAt", "id") ',
    );
    // Hand-added: fill them for the open invitations that exist.
    await queryRunner.query(FILL_STORED_RELATIONS);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_recipient_status_mutual"');
    await queryRunner.query('ALTER TABLE "invitation" DROP COLUMN "sameSchool"');
    await queryRunner.query('ALTER TABLE "invitation" DROP COLUMN "sameIndustry"');
    await queryRunner.query('ALTER TABLE "invitation" DROP COLUMN "sameEmployer"');
    await queryRunner.query('ALTER TABLE "invitation" DROP COLUMN "mutualCount"');
  }
}
