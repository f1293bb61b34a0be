// Types of the templates/ files imported as text (`with { type: "text" }`), which Bun embeds in the binary.

declare module "*.sh" {
  const text: string;
  export default text;
}

declare module "*.example" {
  const text: string;
  export default text;
}

declare module "*.service" {
  const text: string;
  export default text;
}
