import type { MigrationInterface, QueryRunner } from "typeorm";

export class Policies1796316259956 implements MigrationInterface {
  name = "Policies1796316259956";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "member" ADD "policyNewAccounts" character varying(10) NOT NULL DEFAULT \'DELIVER\'',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD "policyNoMutual" character varying(10) NOT NULL DEFAULT \'DELIVER\'',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD "policyRestricted" character varying(10) NOT NULL DEFAULT \'FILTER\'',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD "policyOutsideNetwork" character varying(10) NOT NULL DEFAULT \'DELIVER\'',
    );
    await queryRunner.query('ALTER TABLE "member" ADD "pausedUntil" TIMESTAMP WITH TIME ZONE');
    // Hand-added (TypeORM does not compare the WHERE of a partial index): a DISCARDED
    // invitation holds the pair's one open invitation too.
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED','DISCARDED')",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "UQ_invitation_open_pair"');
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\" (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "pausedUntil"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "policyOutsideNetwork"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "policyRestricted"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "policyNoMutual"');
    await queryRunner.query('ALTER TABLE "member" DROP COLUMN "policyNewAccounts"');
  }
}
