// "Take a message": when nobody can take the call, the agent writes down the caller's name, number and
// message. Each message is one JSON line appended (and synced) to a file, and emitted as an event.
// Every write is bounded (a disk or a store that never answers must not hold the conversation), and a message
// that was not stored everywhere it should be is never reported to the caller as saved.
import { EventEmitter } from 'node:events';
import { open } from 'node:fs/promises';
import { llm, log } from '@livekit/agents';
import { z } from 'zod';
import { messageSaved, TAKE_MESSAGE_DESCRIPTION, TAKE_MESSAGE_PARAMETERS } from '../../prompts/messages.ts';
import { messageNotSaved } from '../../prompts/unavailable.ts';
import { errorFields } from '../../core/pii.ts';
import { bounded } from '../../core/bounded.ts';

/** Storing one message (the file, then the store): past this the caller is told it was not saved. */
export const MESSAGE_STORE_TIMEOUT_MS = 5000;

export interface TakenMessage {
  at: string;
  agentId: string;
  name: string;
  callbackNumber: string;
  message: string;
  /** Personal data, kept under lk.pii keys like every other log line. */
  'lk.pii.caller_number': string | undefined;
  'lk.pii.room_name': string | undefined;
}

/** Emits 'message' for every message stored, for code that embeds the worker. */
export const messageEvents = new EventEmitter<{ message: [TakenMessage] }>();

export async function storeMessage(file: string, message: TakenMessage): Promise<void> {
  const handle = await open(file, 'a');
  try {
    await handle.appendFile(`${JSON.stringify(message)}\n`);
    // Durable: a message the caller was told is taken must survive a crash right after.
    await handle.sync();
  } finally {
    await handle.close();
  }
  messageEvents.emit('message', message);
}

export interface TakeMessageOptions {
  /** The JSON-lines file messages are appended to; undefined when they go only to `publish`. */
  file: string | undefined;
  /** Also (or instead) hands each message on, e.g. to the settings store's stream; must not resolve before it is stored. */
  publish?: (message: TakenMessage) => Promise<void>;
  agentId: string;
  callerNumber: string | undefined;
  roomName: string | undefined;
  /** MESSAGE_STORE_TIMEOUT_MS unless a test says otherwise. */
  timeoutMs?: number;
}

export function takeMessageTool(options: TakeMessageOptions) {
  return llm.tool({
    description: TAKE_MESSAGE_DESCRIPTION,
    parameters: z.object({
      name: z.string().min(1).describe(TAKE_MESSAGE_PARAMETERS.name),
      callback_number: z.string().min(3).describe(TAKE_MESSAGE_PARAMETERS.callback_number),
      message: z.string().min(1).describe(TAKE_MESSAGE_PARAMETERS.message),
    }),
    execute: async ({ name, callback_number, message }) => {
      const taken: TakenMessage = {
        at: new Date().toISOString(),
        agentId: options.agentId,
        name,
        callbackNumber: callback_number,
        message,
        'lk.pii.caller_number': options.callerNumber,
        'lk.pii.room_name': options.roomName,
      };
      const store = async () => {
        if (options.file) await storeMessage(options.file, taken);
        else messageEvents.emit('message', taken);
        await options.publish?.(taken);
      };
      try {
        await bounded(store(), options.timeoutMs ?? MESSAGE_STORE_TIMEOUT_MS, 'storing the message');
      } catch (error) {
        log().error({ ...errorFields(error), agentId: options.agentId }, 'a message could not be stored');
        throw new llm.ToolError(messageNotSaved());
      }
      console.log(JSON.stringify({ event: 'message_taken', agentId: options.agentId, at: new Date().toISOString() }));
      return messageSaved();
    },
  });
}
