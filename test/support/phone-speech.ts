// espeak-ng's speech as a SIPp phone sends it: 8 kHz PCM16 that has been through G.711 A-law.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resample } from '../../agent/conversation/speech/decision-recogniser.ts';
import { decodeAlaw, encodeAlaw } from '../../phones/audio.ts';

const execFileAsync = promisify(execFile);

export async function phoneSpeech(text: string, voice: string): Promise<Int16Array> {
  const { stdout } = await execFileAsync('espeak-ng', ['-v', voice, '--stdout', text], { encoding: 'buffer' });
  const rate = stdout.readUInt32LE(24);
  const data = stdout.indexOf('data') + 8;
  const pcm = new Int16Array(stdout.buffer.slice(stdout.byteOffset + data, stdout.byteOffset + stdout.byteLength - ((stdout.byteLength - data) & 1)));
  return decodeAlaw(encodeAlaw(resample(pcm, rate, 8000)));
}
