// drizzle-kit configuration for PostgreSQL: generates the SQL migrations in drizzle/pg/ from src/storage/pg-schema.ts.

import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/storage/pg-schema.ts",
  out: "./drizzle/pg",
  strict: true,
  verbose: true,
});
