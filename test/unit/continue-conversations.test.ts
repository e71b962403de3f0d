// A conversation still running when a stopping worker reaches its bound goes on in a job on another worker
// (agent/takeover/continue.ts): the new job's metadata names the same agent and marks it continued (no
// greeting), whatever the first job's metadata was; a call with a transfer open is left to the watchers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentIdFromMetadata } from '../../agent/call-settings/files.ts';
import { continueConversations, continuedFromMetadata, continuingMetadata } from '../../agent/takeover/continue.ts';

/** The agent a metadata string names, or the error a job would meet reading it. */
const agentOf = (metadata: string | undefined) => {
  try {
    return { agent: agentIdFromMetadata(metadata) };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('the metadata of a job that continues a call', () => {
  it.each([
    ['a plain agent id', 'acme.support', { agentId: 'acme.support', continued: true }],
    ['JSON naming the agent', '{"agentId":"acme.support","note":1}', { agentId: 'acme.support', note: 1, continued: true }],
    ['a takeover order, which is not passed on', '{"agentId":"a","resume":{"id":"t","fence":3,"mode":"resume"}}', { agentId: 'a', continued: true }],
    ['nothing', undefined, { continued: true }],
    ['blank', '   ', { continued: true }],
    ['a JSON array', '["acme"]', { continued: true }],
    ['a JSON string', '"acme"', { continued: true }],
    ['broken JSON', '{"agentId": ', { continued: true }],
    ['already continued', '{"agentId":"a","continued":true}', { agentId: 'a', continued: true }],
    ['continued set to something else', '{"agentId":"a","continued":"yes"}', { agentId: 'a', continued: true }],
  ])('from %s', (_what, metadata, expected) => {
    const continuing = continuingMetadata(metadata);
    expect(JSON.parse(continuing)).toEqual(expected);
    expect(continuedFromMetadata(continuing)).toBe(true);
  });

  it('is continued only when it says so with true', () => {
    for (const metadata of [undefined, '', 'acme', '{"continued":"true"}', '{"continued":1}', '[true]', '{"agentId":"x"}', '{"continued":true']) {
      expect(continuedFromMetadata(metadata), String(metadata)).toBe(false);
    }
    expect(continuedFromMetadata(' {"continued":true} ')).toBe(true);
  });

  it('names the agent the first job read, for any metadata (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
          fc.record({ agentId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), fc.string()), resume: fc.anything() }).map((o) => JSON.stringify(o)),
          fc.json(),
        ),
        (metadata) => {
          const continuing = continuingMetadata(metadata);
          const parsed = JSON.parse(continuing) as Record<string, unknown>;
          expect(parsed.continued).toBe(true);
          expect('resume' in parsed).toBe(false);
          const first = agentOf(metadata);
          // Where the first job read an agent, the continuing one reads the same; nowhere does it read another.
          if ('agent' in first && first.agent !== undefined) expect(agentOf(continuing)).toEqual(first);
          const next = agentOf(continuing);
          if ('agent' in next && next.agent !== undefined) expect(next.agent).toBe('agent' in first ? first.agent : next.agent);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('continuing the calls still running at the bound', () => {
  it('dispatches into each room with no transfer open, skips the others, and counts what it sent', async () => {
    const sent: Array<[string, string]> = [];
    const logged: Array<Record<string, unknown>> = [];
    const open = new Map([['call_b', 'transfer-1']]);
    const count = await continueConversations(
      [
        { room: 'call_a', metadata: 'acme.support' },
        { room: 'call_b', metadata: 'acme.support' },
        { room: undefined, metadata: 'acme.support' },
        { room: 'call_c', metadata: '' },
        { room: 'call_d', metadata: 'x' },
      ],
      {
        openFor: async (room) => open.get(room),
        dispatch: async (room, metadata) => {
          if (room === 'call_d') throw new Error('twirp error unknown: no response from servers');
          sent.push([room, metadata]);
        },
        log: (entry) => void logged.push(entry),
      },
    );
    expect(count).toBe(2);
    expect(sent).toEqual([
      ['call_a', '{"agentId":"acme.support","continued":true}'],
      ['call_c', '{"continued":true}'],
    ]);
    expect(logged).toEqual([{ event: 'continue_failed', message: 'Error: twirp error unknown: no response from servers' }]);
  });

  it('leaves a call alone when it cannot tell whether a transfer is open (Redis away)', async () => {
    const sent: string[] = [];
    const count = await continueConversations([{ room: 'call_a', metadata: 'a' }], {
      openFor: async () => Promise.reject(new Error('Connection is closed.')),
      dispatch: async (room) => void sent.push(room),
      log: () => undefined,
    });
    expect(count).toBe(0);
    expect(sent).toEqual([]);
  });
});
