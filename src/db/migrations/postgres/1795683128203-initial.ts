import type { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795683128203 implements MigrationInterface {
  name = "Initial1795683128203";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "member" ("id" character varying(36) NOT NULL, "name" character varying(100) NOT NULL, "email" character varying(254) NOT NULL, "passwordHash" character varying(200) NOT NULL, "headline" character varying(200), "employer" character varying(100), "industry" character varying(100), "school" character varying(100), "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "whoCanInvite" character varying(20) NOT NULL DEFAULT \'EVERYONE\', "notifyOnInvitation" boolean NOT NULL DEFAULT true, "reminders" boolean NOT NULL DEFAULT true, CONSTRAINT "PK_97cbbe986ce9d14ca5894fdc072" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_8174d0498e41d6e7c108b657e7" ON "member"  ("name") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4678079964ab375b2b31849456" ON "member"  ("email") ',
    );
    await queryRunner.query(
      'CREATE TABLE "block" ("blockerId" character varying(36) NOT NULL, "blockedId" character varying(36) NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_f147961a77e760d035e5cb1f33a" PRIMARY KEY ("blockerId", "blockedId"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_block_blocked" ON "block"  ("blockedId", "blockerId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "connection" ("memberId" character varying(36) NOT NULL, "otherId" character varying(36) NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_f0e9bbd1ee31db5e52ed97379f6" PRIMARY KEY ("memberId", "otherId"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_connection_other" ON "connection"  ("otherId", "memberId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "invitation" ("id" character varying(36) NOT NULL, "senderId" character varying(36) NOT NULL, "recipientId" character varying(36) NOT NULL, "pairKey" character varying(73) NOT NULL, "message" text, "status" character varying(20) NOT NULL, "sentAt" TIMESTAMP WITH TIME ZONE NOT NULL, "respondedAt" TIMESTAMP WITH TIME ZONE, "responseMessage" text, "remindedAt" TIMESTAMP WITH TIME ZONE, "remindAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_beb994737756c0f18a1c1f8669c" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_d0cf364e2d1f9c03429e1a351d" ON "invitation"  ("pairKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c8a1e0d0e7887e4766a9488c1c" ON "invitation"  ("remindAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_status_sent" ON "invitation"  ("status", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_sender_sent" ON "invitation"  ("senderId", "sentAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_invitation_recipient_status_sent" ON "invitation"  ("recipientId", "status", "sentAt") ',
    );
    await queryRunner.query(
      "CREATE UNIQUE INDEX \"UQ_invitation_open_pair\" ON \"invitation\"  (\"pairKey\") WHERE \"status\" IN ('PENDING','IGNORED','FILTERED','REPORTED')",
    );
    await queryRunner.query(
      'CREATE TABLE "report" ("id" character varying(36) NOT NULL, "reporterId" character varying(36) NOT NULL, "senderId" character varying(36) NOT NULL, "invitationId" character varying(36) NOT NULL, "reason" character varying(20) NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_99e4d0bea58cba73c57f935a546" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_report_sender_created" ON "report"  ("senderId", "createdAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_report_reporter_sender" ON "report"  ("reporterId", "senderId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "notification" ("id" character varying(36) NOT NULL, "recipientId" character varying(36) NOT NULL, "seq" integer NOT NULL, "kind" character varying(30) NOT NULL, "actorId" character varying(36), "invitationId" character varying(36), "message" text, "read" boolean NOT NULL DEFAULT false, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_705b6c7cdf9b2c2ff7ac7872cb7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_notification_invitation" ON "notification"  ("invitationId") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_notification_recipient_seq" ON "notification"  ("recipientId", "seq") ',
    );
    await queryRunner.query(
      'ALTER TABLE "block" ADD CONSTRAINT "FK_9ebc8defd368bfbada61840691b" FOREIGN KEY ("blockerId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "block" ADD CONSTRAINT "FK_d5c13d1ced558f476dd2268c4eb" FOREIGN KEY ("blockedId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "connection" ADD CONSTRAINT "FK_54e254412369d172d9db023c502" FOREIGN KEY ("memberId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "connection" ADD CONSTRAINT "FK_09afb671edb12260bfc434f9ca3" FOREIGN KEY ("otherId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD CONSTRAINT "FK_4becefb4eb12f57d8a578d83946" FOREIGN KEY ("senderId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" ADD CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f" FOREIGN KEY ("recipientId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "report" ADD CONSTRAINT "FK_253163ca85b927f62596606f6cc" FOREIGN KEY ("reporterId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "report" ADD CONSTRAINT "FK_d11e7680f240ebe28bf69e4d215" FOREIGN KEY ("senderId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "report" ADD CONSTRAINT "FK_989c538a98a4bb04b95f3c14621" FOREIGN KEY ("invitationId") REFERENCES "invitation"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "notification" ADD CONSTRAINT "FK_ab7cbe7a013ecac5da0a8f88884" FOREIGN KEY ("recipientId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "notification" ADD CONSTRAINT "FK_c5133a026bd1b3d9feccac1a234" FOREIGN KEY ("actorId") REFERENCES "member"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "notification" ADD CONSTRAINT "FK_8ed10d53bff132f70e5b5841163" FOREIGN KEY ("invitationId") REFERENCES "invitation"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "notification" DROP CONSTRAINT "FK_8ed10d53bff132f70e5b5841163"',
    );
    await queryRunner.query(
      'ALTER TABLE "notification" DROP CONSTRAINT "FK_c5133a026bd1b3d9feccac1a234"',
    );
    await queryRunner.query(
      'ALTER TABLE "notification" DROP CONSTRAINT "FK_ab7cbe7a013ecac5da0a8f88884"',
    );
    await queryRunner.query(
      'ALTER TABLE "report" DROP CONSTRAINT "FK_989c538a98a4bb04b95f3c14621"',
    );
    await queryRunner.query(
      'ALTER TABLE "report" DROP CONSTRAINT "FK_d11e7680f240ebe28bf69e4d215"',
    );
    await queryRunner.query(
      'ALTER TABLE "report" DROP CONSTRAINT "FK_253163ca85b927f62596606f6cc"',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" DROP CONSTRAINT "FK_0eb0db6d34ce3015d81d0276c6f"',
    );
    await queryRunner.query(
      'ALTER TABLE "invitation" DROP CONSTRAINT "FK_4becefb4eb12f57d8a578d83946"',
    );
    await queryRunner.query(
      'ALTER TABLE "connection" DROP CONSTRAINT "FK_09afb671edb12260bfc434f9ca3"',
    );
    await queryRunner.query(
      'ALTER TABLE "connection" DROP CONSTRAINT "FK_54e254412369d172d9db023c502"',
    );
    await queryRunner.query('ALTER TABLE "block" DROP CONSTRAINT "FK_d5c13d1ced558f476dd2268c4eb"');
    await queryRunner.query('ALTER TABLE "block" DROP CONSTRAINT "FK_9ebc8defd368bfbada61840691b"');
    await queryRunner.query('DROP INDEX "public"."UQ_notification_recipient_seq"');
    await queryRunner.query('DROP INDEX "public"."IDX_notification_invitation"');
    await queryRunner.query('DROP TABLE "notification"');
    await queryRunner.query('DROP INDEX "public"."IDX_report_reporter_sender"');
    await queryRunner.query('DROP INDEX "public"."IDX_report_sender_created"');
    await queryRunner.query('DROP TABLE "report"');
    await queryRunner.query('DROP INDEX "public"."UQ_invitation_open_pair"');
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_recipient_status_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_sender_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_invitation_status_sent"');
    await queryRunner.query('DROP INDEX "public"."IDX_c8a1e0d0e7887e4766a9488c1c"');
    await queryRunner.query('DROP INDEX "public"."IDX_d0cf364e2d1f9c03429e1a351d"');
    await queryRunner.query('DROP TABLE "invitation"');
    await queryRunner.query('DROP INDEX "public"."IDX_connection_other"');
    await queryRunner.query('DROP TABLE "connection"');
    await queryRunner.query('DROP INDEX "public"."IDX_block_blocked"');
    await queryRunner.query('DROP TABLE "block"');
    await queryRunner.query('DROP INDEX "public"."IDX_4678079964ab375b2b31849456"');
    await queryRunner.query('DROP INDEX "public"."IDX_8174d0498e41d6e7c108b657e7"');
    await queryRunner.query('DROP TABLE "member"');
  }
}
