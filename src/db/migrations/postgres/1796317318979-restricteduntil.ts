import type { MigrationInterface, QueryRunner } from "typeorm";
import { fillRestrictedUntil } from "../restricted-until";

/** The report restriction is decided when a report comes, and stored on the sender. */
export class RestrictedUntil1796317318979 implements MigrationInterface {
  name = "RestrictedUntil1796317318979";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "member" ADD COLUMN "restrictedUntil" TIMESTAMP WITH TIME ZONE',
    );
    await fillRestrictedUntil(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "restrictedUntil"');
  }
}
