import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, until } from '@coldtrace/shared/testing';
import type { Locator, Page } from 'playwright-core';

export const ROOT = repoRoot;
const BIN = join(ROOT, 'bin/coldtrace.mjs');
/** Where the README flow's screenshots go (test artefacts, gitignored). */
export const FLOW_SHOTS = join(ROOT, 'test-output/screenshots/readme-flow');
/** The screenshots docs/qa-pages.md embeds, rewritten only when COLDTRACE_UPDATE_DOCS_SCREENSHOTS=1. */
export const DOCS_IMG = join(ROOT, 'docs/img/qa-pages');
export const UPDATE_DOCS = process.env.COLDTRACE_UPDATE_DOCS_SCREENSHOTS === '1';

/** The page's globals that code run in the browser reads (this workspace compiles without the DOM types). */
declare const document: { documentElement: { scrollHeight: number; clientWidth: number } };
declare const window: { scrollY: number };

/** `npm run demo` running in a child process of its own process group, as a terminal runs it. */
export interface DemoProcess {
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Ctrl-C (SIGINT to the process group, as a terminal sends it); resolves with what it printed last. */
  stop(): Promise<string>;
}

export function startDemo(args: string[]): DemoProcess {
  const child: ChildProcess = spawn('npm', ['run', 'demo', '--', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  return {
    output: () => text,
    async stop() {
      if (!exited) signalGroup('SIGINT');
      try {
        await until(() => exited, 'the demo to exit after Ctrl-C', { timeoutMs: 60_000, intervalMs: 100 });
      } catch (err) {
        signalGroup('SIGKILL');
        await exit;
        throw err;
      }
      return text;
    },
  };
}

/**
 * `coldtrace user add` as docs/qa-pages.md tells an administrator to run it on the server, against the
 * demo's database (`--data-dir`), the password on stdin.
 */
export function addUser(
  database: string,
  username: string,
  role: string,
  name: string,
  password: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [
        BIN,
        'user',
        'add',
        username,
        '--role',
        role,
        '--name',
        name,
        '--database',
        database,
        '--password-stdin',
      ],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(`${password}\n`);
  });
}

/** Types like a person: one key at a time, `msPerKey` apart (the acceptance's human speed). */
export async function typeSlowly(field: Locator, text: string, msPerKey = 150): Promise<void> {
  await field.click();
  await field.pressSequentially(text, { delay: msPerKey });
}

/**
 * A screenshot for docs/qa-pages.md: the page's full width (1,280 px in the default browser), from a little
 * above `focus` (or the top) and at most `height` px tall, saved under test-output/screenshots/readme-flow/
 * and copied to docs/img/qa-pages/ only when COLDTRACE_UPDATE_DOCS_SCREENSHOTS=1.
 */
export async function docShot(page: Page, name: string, focus?: Locator, height = 900): Promise<string> {
  mkdirSync(FLOW_SHOTS, { recursive: true });
  const path = join(FLOW_SHOTS, `${name}.png`);
  const { top, docHeight, width } = await page.evaluate(
    (el) => ({
      top: el ? el.getBoundingClientRect().top + window.scrollY : 0,
      docHeight: document.documentElement.scrollHeight,
      width: document.documentElement.clientWidth,
    }),
    focus ? await focus.elementHandle() : null,
  );
  const y = Math.max(0, Math.floor(top) - 16);
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y, width, height: Math.max(1, Math.min(height, docHeight - y)) },
  });
  if (UPDATE_DOCS) {
    mkdirSync(DOCS_IMG, { recursive: true });
    copyFileSync(path, join(DOCS_IMG, `${name}.png`));
  }
  return path;
}
