import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: ADD COLUMN instead of the generated rebuild of "member" (the rows that point at
 * a member stay untouched), and the open-pair index recreated (TypeORM does not compare the
 * WHERE of a partial index): a DISCARDED invitation holds the pair's one open invitation too.
 */
export class Policies1796316257735 implements MigrationInterface {
  name = "Policies1796316257735";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "member" ADD COLUMN "policyNewAccounts" varchar(10) NOT NULL DEFAULT (\'DELIVER\')',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD COLUMN "policyNoMutual" varchar(10) NOT NULL DEFAULT (\'DELIVER\')',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD COLUMN "policyRestricted" varchar(10) NOT NULL DEFAULT (\'FILTER\')',
    );
    await queryRunner.query(
      'ALTER TABLE "member" ADD COLUMN "policyOutsideNetwork" varchar(10) NOT NULL DEFAULT (\'DELIVER\')',
    );
    await queryRunner.query('ALTER TABLE "member" ADD COLUMN "pausedUntil" datetime');
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
    for (const column of [
      "pausedUntil",
      "policyOutsideNetwork",
      "policyRestricted",
      "policyNoMutual",
      "policyNewAccounts",
    ]) {
      await queryRunner.query(`ALTER TABLE "member" DROP COLUMN "${column}"`);
    }
  }
}
