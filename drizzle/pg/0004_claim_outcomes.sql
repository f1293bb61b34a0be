ALTER TABLE "claims" DROP CONSTRAINT "claims_completion_reason_known";--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "pr_url" text;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_outcome_known" CHECK ("claims"."outcome" IS NULL OR "claims"."outcome" IN ('done', 'freed'));--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_completion_reason_known" CHECK ("claims"."completion_reason" IS NULL OR "claims"."completion_reason" IN ('client_completed', 'admin_expired', 'branch_removed', 'released'));