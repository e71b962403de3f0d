// The transfers of one call, as the job wires them: the warm_transfer tool for the caller's model, keypad
// transfers for the caller's keys, and the takeover's resume. Each request is an object of its own
// (request.ts); what they share is the call (call-context.ts).
import type { TransferOutcome } from '../../core/outcome.ts';
import type { EarlyRejoin } from '../takeover/early-rejoin.ts';
import { type ResumeOrder, resumeTransfer } from '../takeover/resume.ts';
import { type CallTransfersOptions, transferCall } from './call-context.ts';
import { keypadTransfer } from './tools/keypad.ts';
import { warmTransferTool } from './tools/warm-transfer-tool.ts';

export interface CallTransfers {
  /** The warm_transfer tool. */
  warmTransfer: ReturnType<typeof warmTransferTool>;
  /** A key the caller pressed: the transfer its keypad rule names, if any (undefined: none started). */
  keypadTransfer(digit: string): Promise<TransferOutcome | undefined>;
  /** Takeover: carries on the transfer a watcher claimed for this job (takeover/resume.ts). */
  resume(order: ResumeOrder, early?: EarlyRejoin): Promise<TransferOutcome | undefined>;
  /** Whether a transfer is running: it then deals with a caller who hangs up (tells the person, ends the bridge). */
  transferring(): boolean;
}

export function callTransfers(options: CallTransfersOptions): CallTransfers {
  const call = transferCall(options);
  return {
    warmTransfer: warmTransferTool(call),
    keypadTransfer: (digit) => keypadTransfer(call, digit),
    resume: (order, early) => resumeTransfer(call, order, early),
    transferring: () => call.running.size > 0,
  };
}
