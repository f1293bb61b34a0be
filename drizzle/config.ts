// drizzle-kit configuration: generates the SQL migrations in drizzle/ from src/storage/schema.ts.

import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/schema.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
});
