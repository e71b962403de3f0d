// Phones built on SIPp, for the demo, the benchmark and the tests; how they work is explained at the top of phone.ts and scenarios/*.xml.
//
//   const callee = await startCallee({ port: 5090, behaviour: 'answer', ringMs: 1000, audio: { tone: 1000 } });
//   const caller = await startCaller({ to: '+15550100', from: '+15551234567', port: 5060, audio: { speech: 'hello' } });
//   await caller.waitAnswered(10_000);
//   await caller.waitForAudio({ minRms: 300, withinMs: 5000 });
//   await caller.press('1');
//   await caller.hangup();
//   const end = await callee.waitEnded(5000); // { hungUpBy: 'remote', reason: 'bye', status: 200, ... }
//   await Promise.all([caller.close(), callee.close()]);
//
// Set PHONE_KEEP_LOGS=1 to keep each phone's SIPp logs (phone.logs.dir) after close().
export { Phone, startCaller, startCallee, callIn } from './phone.ts';
export type { CallEnd, CalleeBehaviour, CalleeOptions, CallerOptions, CommonOptions, PhoneEvent, PhoneEventType, PhoneLogs, PhoneRole } from './types.ts';
export { SAMPLE_RATE, alawToLinear, linearToAlaw, decodeAlaw, encodeAlaw, rms, goertzelPower, toneRatio, sineSamples, makeAlawFile } from './audio.ts';
export type { AudioSpec } from './audio.ts';
export { ReceivedAudio } from './received.ts';
export type { AudioChunk, ReceivedDtmf } from './received.ts';
export { DtmfSender, dtmfCode, dtmfDigit, parseRtp, parseTelephoneEvent, PT_DTMF, PT_PCMA } from './rtp.ts';
export type { RtpPacket, TelephoneEvent } from './rtp.ts';
export { freeUdpPort } from './sipp.ts';
export { wavBytes } from './wav.ts';
