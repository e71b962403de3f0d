// The agent the caller talks to: its session (speech in and out, and the model when there is one), its
// instructions and tools as the agent's settings allow, and the greeting that opens an ordinary call.
import { type llm, log, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { callerInstructions, takenOverInstructions } from '../../prompts/caller.ts';
import { warmTransferEnabled, type AgentSettings } from '../../settings/settings.ts';
import { type Models, SESSION_INPUT_RATE } from './models.ts';
import { type TakeMessageOptions, takeMessageTool } from './messages.ts';

export function callerSession(models: Models): voice.AgentSession {
  return new voice.AgentSession({
    vad: models.vad,
    tts: models.tts,
    ...(models.stt ? { stt: models.stt } : {}),
    ...(models.llm ? { llm: models.llm } : {}),
  });
}

/** Whether the caller's model is offered warm_transfer; says why not when the settings ask for it. */
export function transfersOffered(settings: AgentSettings, models: Models): boolean {
  if (!settings.organization.warmTransferAvailable) log().info({ agentId: settings.agentId }, 'warm transfer is not available to this organization');
  else if (settings.warmTransfer.enabled && !models.llm) log().warn('warm transfer needs a language model (OPENAI_API_KEY): not offered');
  return warmTransferEnabled(settings) && models.llm !== undefined;
}

export interface CallerAgentOptions {
  settings: AgentSettings;
  models: Models;
  /** The warm_transfer tool, when offered (transfersOffered). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as the framework's own map of tools
  warmTransfer: llm.AnonFunctionTool<any, unknown, any> | undefined;
  /** Where take_message stores messages (with a model only). */
  messages: TakeMessageOptions;
  /** A job carrying on a transfer whose job died: the caller has been greeted already. */
  takenOver: boolean;
}

export function callerAgent({ settings, models, warmTransfer, messages, takenOver }: CallerAgentOptions): voice.Agent {
  return new voice.Agent({
    instructions: callerInstructions({
      instructions: takenOver ? takenOverInstructions(settings.instructions) : settings.instructions,
      rules: warmTransfer ? settings.warmTransfer.rulesText : undefined,
      canTakeMessage: models.llm !== undefined,
    }),
    tools: {
      ...(warmTransfer ? { warm_transfer: warmTransfer } : {}),
      ...(models.llm ? { take_message: takeMessageTool(messages) } : {}),
    },
  });
}

/** Starts the agent's session on the caller's audio. */
export function startCallerSession(session: voice.AgentSession, agent: voice.Agent, room: Room, callerIdentity: string): Promise<void> {
  return session.start({ agent, room, inputOptions: { participantIdentity: callerIdentity, audioSampleRate: SESSION_INPUT_RATE } });
}

/** An ordinary call opens with the agent's greeting. */
export function greet(session: voice.AgentSession, greeting: string, models: Models): void {
  // Without a model nobody answers what the caller says, so their voice must not cut the greeting (and
  // its "press 1 for ...") short.
  session.say(greeting, { allowInterruptions: models.llm !== undefined, ...models.phrases?.audioFor(greeting) });
}
