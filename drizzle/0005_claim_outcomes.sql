PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`task_id` text NOT NULL,
	`session_id` text NOT NULL,
	`branch` text NOT NULL,
	`plan_file` text NOT NULL,
	`fence` integer NOT NULL,
	`claimed_at_ms` integer NOT NULL,
	`completed_at_ms` integer,
	`completion_reason` text,
	`outcome` text,
	`pr_url` text,
	CONSTRAINT "claims_completion_consistent" CHECK(("__new_claims"."completed_at_ms" IS NULL) = ("__new_claims"."completion_reason" IS NULL)),
	CONSTRAINT "claims_completion_reason_known" CHECK("__new_claims"."completion_reason" IS NULL OR "__new_claims"."completion_reason" IN ('client_completed', 'admin_expired', 'branch_removed', 'released')),
	CONSTRAINT "claims_outcome_known" CHECK("__new_claims"."outcome" IS NULL OR "__new_claims"."outcome" IN ('done', 'freed'))
);
--> statement-breakpoint
INSERT INTO `__new_claims`("id", "repo", "task_id", "session_id", "branch", "plan_file", "fence", "claimed_at_ms", "completed_at_ms", "completion_reason", "outcome", "pr_url") SELECT "id", "repo", "task_id", "session_id", "branch", "plan_file", "fence", "claimed_at_ms", "completed_at_ms", "completion_reason", CASE WHEN "completion_reason" = 'admin_expired' THEN 'freed' WHEN "completion_reason" IS NULL THEN NULL ELSE 'done' END, NULL FROM `claims`;--> statement-breakpoint
DROP TABLE `claims`;--> statement-breakpoint
ALTER TABLE `__new_claims` RENAME TO `claims`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `claims_active_task_uq` ON `claims` (`repo`,`task_id`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `claims_active_session_uq` ON `claims` (`repo`,`session_id`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `claims_fence_uq` ON `claims` (`fence`);--> statement-breakpoint
CREATE INDEX `claims_active_repo_claimed_idx` ON `claims` (`repo`,`claimed_at_ms`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE INDEX `claims_repo_completed_idx` ON `claims` (`repo`,`completed_at_ms`);