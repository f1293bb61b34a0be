// Headless Chromium for the dashboard's browser tests: Debian's chromium driven by playwright-core, skipped with the install command when missing.
import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";
/** Whether the browser tests can run; when not, the file says how to install it. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Warns, naming `file` and the install command, when Chromium is missing (the tests then skip). */
export function warnWithoutChromium(file: string): void {
  if (!HAVE_CHROMIUM) console.warn(`SKIPPED ${file}: ${CHROMIUM} not found. Install Debian's chromium: apt-get update && apt-get install -y chromium`);
}

/** A headless Chromium with its profile in `profile_dir` (inside the test's temp dir), no network but what the page asks for. */
export function launchChromium(profile_dir: string, viewport: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile_dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
