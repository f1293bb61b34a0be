// Types of the dashboard's page files, imported by dashboard.ts as text (`with { type: "text" }`), which Bun embeds in the binary.
// The patterns start with "./dashboard/" so they win over bun-types' "*.html" (an HTMLBundle): the longest prefix decides.

declare module "./dashboard/*.html" {
  const text: string;
  export default text;
}

declare module "./dashboard/*.css" {
  const text: string;
  export default text;
}
