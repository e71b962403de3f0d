// One run of pocketsphinx_continuous over one utterance's file, bounded: killed on timeout or abort (the caller
// then answers 'unsure'), and a missing binary named by its Debian package.
import { spawn } from 'node:child_process';

export const MISSING_BINARY = 'pocketsphinx_continuous not found: install the Debian package pocketsphinx (stack/setup.sh does)';

/** Runs the decoder (`args` name its input); its output and log, or timedOut. */
export function runDecoder(
  binary: string,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const stop = () => {
      timedOut = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(stop, timeoutMs);
    signal?.addEventListener('abort', stop, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      settle();
      reject(err.code === 'ENOENT' ? new Error(`${MISSING_BINARY} (${binary})`) : err);
    });
    child.once('close', (code) => {
      settle();
      if (timedOut) resolve({ stdout: '', stderr: '', timedOut: true });
      else if (code !== 0) reject(new Error(`${binary} failed (exit ${code}): ${errorsOf(stderr)}`));
      else resolve({ stdout, stderr, timedOut: false });
    });
  });
}

/** The decoder's log is long (INFO lines); its ERROR and FATAL lines say what went wrong. */
function errorsOf(stderr: string): string {
  const errors = stderr.split('\n').filter((l) => /^(ERROR|FATAL)/.test(l));
  return (errors.length ? errors.join('\n') : stderr.trim()).slice(-500);
}
