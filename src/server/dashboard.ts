// GET /: the live dashboard page (SPEC §7), embedded in the binary, served with a strict Content-Security-Policy.
import { createHash } from "node:crypto";
import { Elysia } from "elysia";
import { ROUTES } from "../api/routes.ts";
import { bundleDashboardScript } from "./dashboard-bundle.ts" with { type: "macro" };
import skeleton from "./dashboard/index.html" with { type: "text" };
import style from "./dashboard/style.css" with { type: "text" };

/** The dashboard script, bundled from dashboard/app.browser.ts when this file is transpiled (a Bun macro: at build time, or at start from source). */
const script: string = bundleDashboardScript();

/** The dashboard page: its HTML and the Content-Security-Policy that lets exactly its own inline style and script run. */
export interface DashboardPage {
  html: string;
  csp: string;
}

function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

function inline(html: string, marker: string, tag: "style" | "script", body: string): string {
  if (body.toLowerCase().includes(`</${tag}`)) throw new Error(`the dashboard's ${tag} must not contain '</${tag}'`);
  const parts = html.split(`<!-- ${marker} -->`);
  if (parts.length !== 2) throw new Error(`the dashboard page must contain the marker '<!-- ${marker} -->' exactly once`);
  return parts.join(`<${tag}>${body}</${tag}>`);
}

/**
 * Assembles the page from its embedded files: style.css and the bundled app.browser.ts inlined into
 * index.html, and a CSP allowing those two by hash and nothing else from anywhere: no external
 * source, no inline event handlers, fetches to this origin only. The page carries no data:
 * it reads the API with the credentials the user gives it (see dashboard/app.browser.ts).
 */
export function buildDashboardPage(): DashboardPage {
  const html = inline(inline(skeleton, "STYLE", "style", style), "SCRIPT", "script", script);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256Source(script)}`,
    `style-src ${sha256Source(style)}`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, csp };
}

/**
 * The Elysia plugin serving `GET /`: the dashboard page itself needs no credentials (it holds no
 * data); every call it makes (/claims, /sessions, /messages, /events) proves access as usual.
 */
export function dashboardRoutes() {
  const page = buildDashboardPage();
  const headers = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": page.csp,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
  return new Elysia({ name: "dashboard" }).get(ROUTES.dashboard.path, () => new Response(page.html, { headers }));
}
