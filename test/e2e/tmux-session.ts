import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { check, run } from '../fixtures/docker-cli.js';

/** A real pseudo-terminal: tmux runs the CLI, send-keys types, capture-pane reads the screen. */
export class TmuxSession {
  constructor(readonly name: string) {}

  static async start(command: string, cols: number, rows: number): Promise<TmuxSession> {
    const name = `sidekick-test-${randomBytes(4).toString('hex')}`;
    await check('tmux', ['-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), command], {
      env: { ...process.env, TERM: 'xterm' },
    });
    return new TmuxSession(name);
  }

  async type(...keys: string[]): Promise<void> {
    await check('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  async screen(): Promise<string> {
    return check('tmux', ['capture-pane', '-p', '-t', this.name]);
  }

  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async resize(cols: number, rows: number): Promise<void> {
    await check('tmux', ['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  async kill(): Promise<void> {
    await run('tmux', ['kill-session', '-t', this.name]);
  }
}

/** Waits for a file a command in the terminal writes its last line to (its exit status, say). */
export async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.endsWith('\n')) return text;
    if (Date.now() > deadline) throw new Error(`${path} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
