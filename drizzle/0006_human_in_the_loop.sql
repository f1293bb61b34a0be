CREATE TABLE `notify_cursors` (
	`repo` text PRIMARY KEY NOT NULL,
	`last_event_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notify_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`target` text NOT NULL,
	`key` text NOT NULL,
	`repo` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_ms` integer NOT NULL,
	`next_attempt_ms` integer NOT NULL,
	`lease_until_ms` integer DEFAULT 0 NOT NULL,
	`done_ms` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notify_deliveries_uq` ON `notify_deliveries` (`target`,`key`);--> statement-breakpoint
CREATE INDEX `notify_deliveries_due_idx` ON `notify_deliveries` (`status`,`next_attempt_ms`);--> statement-breakpoint
CREATE TABLE `session_controls` (
	`repo` text NOT NULL,
	`session_id` text NOT NULL,
	`action` text NOT NULL,
	`message` text,
	`at_ms` integer NOT NULL,
	`paused_from` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_controls_uq` ON `session_controls` (`repo`,`session_id`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `plan` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `state_since_ms` integer DEFAULT 0 NOT NULL;