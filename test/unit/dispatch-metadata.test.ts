// The agent a call gets comes from its job's dispatch metadata alone (the operator's dispatch rule, or a
// dispatch made with the LiveKit API key). Whatever that metadata holds, what comes out is an agent id of
// the one pattern every store key and settings lookup expects, or nothing, or a refusal: never a path, a
// key fragment, or a long string passed on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentIdFromMetadata } from '../../agent/call-settings/files.ts';

const AGENT_ID = /^[\w.-]{1,64}$/;

function outcome(metadata: string): { id: string | undefined } | { refused: string } {
  try {
    return { id: agentIdFromMetadata(metadata) };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe('agentIdFromMetadata with hostile metadata', () => {
  it.each([
    ['../../etc/passwd'],
    ['{"agentId":"../other-tenant"}'],
    ['{"agentId":"acme.support:hold-music"}'],
    ['{"agentId":"a\\nb"}'],
    [`{"agentId":"${'a'.repeat(65)}"}`],
    ['{"agentId":{"$ne":null}}'],
    ['{"agentId":["acme.support"]}'],
    ['{"agentId":""}'],
    ['acme support'],
    ['{"agentId":"acme.support"'],
  ])('refuses %s', (metadata) => {
    expect(outcome(metadata)).toEqual({ refused: expect.stringMatching(/dispatch metadata/) });
  });

  it('still reads a plain id, JSON with an agentId, and metadata naming no agent (a takeover without one, or nothing)', () => {
    expect(agentIdFromMetadata('acme.support')).toBe('acme.support');
    expect(agentIdFromMetadata(' {"agentId":"acme.sales","resume":{"id":"t","fence":2,"mode":"resume"}} ')).toBe('acme.sales');
    expect(agentIdFromMetadata('{"resume":{"id":"t","fence":2,"mode":"resume"}}')).toBeUndefined();
    expect(agentIdFromMetadata('')).toBeUndefined();
    expect(agentIdFromMetadata(undefined)).toBeUndefined();
  });

  it('for any metadata, the answer is an id of the agent pattern, nothing, or a refusal', () => {
    const id = fc.stringMatching(/^[\w.-]{1,64}$/);
    const metadata = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.json(),
      fc.record({ agentId: fc.oneof(fc.string({ unit: 'binary' }), id, fc.anything()) }).map((value) => JSON.stringify(value) ?? ''),
      id,
    );
    fc.assert(
      fc.property(metadata, (text) => {
        const result = outcome(text);
        if ('id' in result && result.id !== undefined) expect(result.id).toMatch(AGENT_ID);
      }),
      { numRuns: 2000 },
    );
  });
});
