CREATE TABLE `claims` (
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
	CONSTRAINT "claims_completion_consistent" CHECK(("claims"."completed_at_ms" IS NULL) = ("claims"."completion_reason" IS NULL)),
	CONSTRAINT "claims_completion_reason_known" CHECK("claims"."completion_reason" IS NULL OR "claims"."completion_reason" IN ('client_completed', 'admin_expired', 'branch_removed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `claims_active_task_uq` ON `claims` (`repo`,`task_id`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `claims_active_session_uq` ON `claims` (`repo`,`session_id`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `claims_fence_uq` ON `claims` (`fence`);--> statement-breakpoint
CREATE INDEX `claims_active_repo_claimed_idx` ON `claims` (`repo`,`claimed_at_ms`) WHERE "claims"."completed_at_ms" IS NULL;--> statement-breakpoint
CREATE INDEX `claims_repo_completed_idx` ON `claims` (`repo`,`completed_at_ms`);--> statement-breakpoint
CREATE TABLE `fence_counter` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_fence` integer NOT NULL,
	CONSTRAINT "fence_counter_single_row" CHECK("fence_counter"."id" = 1)
);
