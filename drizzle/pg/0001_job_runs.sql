CREATE TABLE "job_runs" (
	"name" text PRIMARY KEY NOT NULL,
	"last_slot_ms" bigint NOT NULL
);
