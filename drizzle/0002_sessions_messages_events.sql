CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_repo_id_idx` ON `events` (`repo`,`id`);--> statement-breakpoint
CREATE TABLE `message_reads` (
	`message_id` integer NOT NULL,
	`session_id` text NOT NULL,
	`read_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_reads_uq` ON `message_reads` (`message_id`,`session_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`from_session` text,
	`to_session` text,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `messages_repo_to_idx` ON `messages` (`repo`,`to_session`,`id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`repo` text NOT NULL,
	`session_id` text NOT NULL,
	`branch` text NOT NULL,
	`state` text NOT NULL,
	`task_id` text,
	`progress` integer,
	`note` text,
	`stuck_reason` text,
	`stuck_context` text,
	`stuck_options` text,
	`pr_url` text,
	`first_seen_ms` integer NOT NULL,
	`last_heartbeat_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_repo_session_uq` ON `sessions` (`repo`,`session_id`);--> statement-breakpoint
CREATE INDEX `sessions_repo_heartbeat_idx` ON `sessions` (`repo`,`last_heartbeat_ms`);