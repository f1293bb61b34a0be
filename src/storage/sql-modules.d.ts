// Type of the SQL migration files imported as text (`with { type: "text" }`), which Bun embeds in the binary.

declare module "*.sql" {
  const text: string;
  export default text;
}
