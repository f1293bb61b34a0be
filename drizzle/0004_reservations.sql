CREATE TABLE `reservations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`session_id` text NOT NULL,
	`path` text NOT NULL,
	`exclusive` integer NOT NULL,
	`reason` text,
	`keep` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reservations_repo_session_path_uq` ON `reservations` (`repo`,`session_id`,`path`);--> statement-breakpoint
CREATE INDEX `reservations_repo_expires_idx` ON `reservations` (`repo`,`expires_at_ms`);