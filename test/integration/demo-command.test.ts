// The README's main command, run as a user would (`npm run demo`), against this run's local stack: it must
// end well, print its summary table, and leave a non-empty timeline picture and both recordings.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';
import { scriptedModel } from '../support/transfer-call.ts';

const stack = inject('stack');

function runDemo(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...inherited } = process.env;
    const child = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...inherited, LIVEKIT_URL: stack.livekitUrl, LIVEKIT_API_KEY: stack.apiKey, LIVEKIT_API_SECRET: stack.apiSecret, ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`the demo did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run demo', () => {
  it('runs a whole screened transfer: exit 0, the summary table, the picture and both recordings', async () => {
    const { code, output } = await runDemo({}, 150_000);
    expect(code, output).toBe(0);
    expect(output).toContain('| step | ms after key 1 |');
    for (const row of [
      'caller hears hold music',
      'destination hears the briefing',
      'destination presses 1',
      'calls bridged',
      'caller hears the destination',
      'destination hears the caller',
    ]) {
      expect(output).toMatch(new RegExp(`\\| ${row} \\| \\d+ \\|`));
    }
    expect(output).toMatch(/destination hears: speech/);
    const picture = /\[demo\] picture: +(\S+)/.exec(output)?.[1];
    expect(picture).toBeDefined();
    expect(existsSync(picture!)).toBe(true);
    expect(statSync(picture!).size).toBeGreaterThan(1000);
    expect(readFileSync(picture!, 'utf8')).toContain('<svg');
    const recordings = [...output.matchAll(/(\S+\.wav)/g)].map((m) => m[1]!);
    expect(recordings.map((f) => f.split('/').at(-1))).toEqual(['caller.wav', 'destination.wav']);
    for (const wav of recordings) expect(statSync(wav).size).toBeGreaterThan(8000);
  }, 180_000);

  it('with a model (here the scripted OpenAI-compatible server) runs the conversational path: the caller asks, the model transfers', async () => {
    const model = scriptedModel();
    const server = await model.start();
    try {
      const { code, output } = await runDemo({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'test-key' }, 150_000);
      expect(code, output).toBe(0);
      expect(output).toContain('conversational path (model)');
      expect(output).toContain('| step | ms after the request |');
      for (const row of [
        'caller hears hold music',
        'destination hears the briefing',
        'destination presses 1',
        'calls bridged',
        'caller hears the destination',
        'destination hears the caller',
      ]) {
        expect(output).toMatch(new RegExp(`\\| ${row} \\| \\d+ \\|`));
      }
      // The model heard the caller's words, with the transfer tool offered (the script then calls it).
      const asked = model.chats.filter((c) => JSON.stringify(c.body['tools'] ?? []).includes('warm_transfer'));
      expect(asked.some((c) => c.messages.some((m) => m.role === 'user' && JSON.stringify(m.content).includes('billing dispute')))).toBe(true);
    } finally {
      await server.close();
    }
  }, 180_000);
});
