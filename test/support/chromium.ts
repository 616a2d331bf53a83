// Debian's Chromium, headless, through playwright-core (no browser download).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const profile = mkdtempSync(path.join(tmpdir(), 'evoloop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1300, height: 900 },
  });
  return { context, close: async () => (await context.close(), rmSync(profile, { recursive: true, force: true })) };
}
