// Shared set-up of the browser suites: Debian's Chromium (/usr/bin/chromium, installed by
// .ci/run) driven by playwright-core, headless, in a fresh profile folder; a static server
// on 127.0.0.1 (random free port) for the pages; every request to any other host is aborted
// and recorded, so the tests also prove that nothing is fetched from outside.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Session {
  base: string;
  context: BrowserContext;
  page: Page;
  /** URLs of requests that left 127.0.0.1 (aborted) */
  outside: string[];
  /** console errors and uncaught page errors */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openSession(dirs: string[], viewport = { width: 1280, height: 900 }): Promise<Session> {
  const server = await startStaticServer({ root: ROOT, dirs });
  const profile = mkdtempSync(path.join(tmpdir(), 'softpool-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
      timeout: 60_000,
    });
  } catch (err) {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const outside: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  return {
    base: server.url, context, page, outside, pageErrors,
    async close() {
      await context.close().catch(() => {});
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
