// The warm_transfer tool the caller's agent calls. It runs one WarmTransfer and answers the model with
// the outcome; on acceptance it takes the caller's agent out of the call for good.
import { llm, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { z } from 'zod';
import { toolResult } from '../../prompts/outcomes.ts';
import type { Models } from '../models.ts';
import { transcriptOf } from './briefing.ts';
import type { DialTarget } from './dial.ts';
import type { HoldMusic } from './hold-music.ts';
import type { LiveKitCredentials, RoomApi } from './room-api.ts';
import type { TimelineEntry } from './timeline.ts';
import type { TopologyKind } from './topology.ts';
import { WarmTransfer } from './warm-transfer.ts';

export interface TransferToolOptions {
  credentials: LiveKitCredentials;
  api: RoomApi;
  room: Room;
  callerIdentity: string;
  callerNumber: string | undefined;
  session: () => voice.AgentSession;
  models: Models;
  music: HoldMusic;
  destination: { target: DialTarget; label: string };
  passThroughCallerNumber: boolean;
  agentPhoneNumber: string | undefined;
  topology: 'auto' | TopologyKind;
  ringingTimeoutMs: number;
  decisionTimeoutMs: number;
  deadlineMs: number;
  onTimeline?: (entry: TimelineEntry) => void;
  /** Called once the caller and destination are connected and the transfer has ended (either hung up). */
  onBridgeEnded: () => void;
}

export function warmTransferTool(options: TransferToolOptions) {
  let active: WarmTransfer | undefined;
  const muteAgent = (muted: boolean) => {
    const session = options.session();
    session.input.setAudioEnabled(!muted);
    session.output.setAudioEnabled(!muted);
  };
  const tool = llm.tool({
    description:
      'Warm-transfer the caller to a person: the caller is put on hold, the person is briefed privately and ' +
      'connected only if they accept. Use it when the caller needs a person your instructions send them to. ' +
      'Do not use it for questions you can answer yourself.',
    parameters: z.object({
      reason: z.string().describe('One or two sentences for the person: who is calling and what they need.'),
    }),
    execute: async ({ reason }) => {
      if (active) throw new llm.ToolError('A transfer is already in progress.');
      const session = options.session();
      const transfer = new WarmTransfer(
        {
          credentials: options.credentials,
          api: options.api,
          caller: { room: options.room, identity: options.callerIdentity, muteAgent },
          sayToCaller: (text) => void session.say(text),
          models: options.models,
          music: options.music,
          topology: options.topology,
          ringingTimeoutMs: options.ringingTimeoutMs,
          decisionTimeoutMs: options.decisionTimeoutMs,
          deadlineMs: options.deadlineMs,
          ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
        },
        {
          target: options.destination.target,
          destinationLabel: options.destination.label,
          reason,
          transcript: transcriptOf(session.history),
          fromNumber: options.passThroughCallerNumber ? options.callerNumber : options.agentPhoneNumber,
        },
      );
      active = transfer;
      const settled = await transfer.start();
      if (settled === 'bridged') {
        // The agent drops out: it no longer listens, speaks or calls tools. Closing waits for this tool to
        // return, so it is not awaited here.
        void session.close();
        void transfer.done.then(options.onBridgeEnded);
        return toolResult('accepted', options.destination.label);
      }
      const { outcome } = await transfer.done;
      active = undefined;
      return toolResult(outcome, options.destination.label);
    },
  });
  return { tool, cancel: () => active?.cancel() };
}
