// Properties of the personal-data helpers, searched by fast-check: no destination of any shape shows its number,
// extension or SIP user in a plain field; a SIP failure's plain fields never depend on the text the server sent;
// the scrubber leaves no lk.pii.* key at any depth and changes nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPiiKey, sipFailureFields, withoutPii } from '../../core/pii.ts';
import { canonicalDestination, destinationFields, type Destination } from '../../settings/destination.ts';

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const phone = fc
  .tuple(fc.integer({ min: 2, max: 9 }), digits(2, 2), fc.integer({ min: 2, max: 9 }), digits(6, 6))
  .map(([a, area, b, rest]): Destination => ({ kind: 'phone', e164: `+1${a}${area}${b}${rest}` }));
const extension = fc
  .string({ unit: fc.constantFrom(...'0123456789*#'), minLength: 1, maxLength: 15 })
  .map((extension): Destination => ({ kind: 'extension', extension }));
const sip = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789._+-'), minLength: 3, maxLength: 20 }),
    fc.domain(),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    fc.constantFrom('udp', 'tcp', 'tls' as const),
  )
  .map(([user, host, port, transport]): Destination => {
    const uri = `sip:${user}@${host}${port === undefined ? '' : `:${port}`}${transport === 'udp' ? '' : `;transport=${transport}`}`;
    return { kind: 'sip', uri, user, host, ...(port === undefined ? {} : { port }), transport };
  });

/** What would identify the destination: the national number, the whole extension, the SIP user. */
const secretOf = (d: Destination): string => (d.kind === 'phone' ? d.e164.slice(2) : d.kind === 'extension' ? d.extension : d.user);

const plainOf = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([key]) => !isPiiKey(key)));

describe('personal data helpers, for any input', () => {
  it('a destination of any kind keeps its number, extension or SIP user only under lk.pii.destination', () => {
    fc.assert(
      fc.property(fc.oneof(phone, extension, sip), (destination) => {
        const fields = destinationFields(destination);
        expect(fields['lk.pii.destination']).toBe(canonicalDestination(destination));
        expect(fields.destinationKind).toBe(destination.kind);
        expect(JSON.stringify(plainOf(fields))).not.toContain(secretOf(destination));
      }),
    );
  });

  it("a SIP failure's plain fields are the same whatever text came with it", () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 100, max: 699 }), { nil: undefined }), fc.string(), fc.string(), (sipStatus, one, other) => {
        expect(plainOf(sipFailureFields({ sipStatus, message: one }))).toEqual(plainOf(sipFailureFields({ sipStatus, message: other })));
        expect(sipFailureFields({ sipStatus, message: one })['lk.pii.error']).toBe(one);
      }),
    );
  });

  it('withoutPii leaves no lk.pii.* key at any depth, and drops nothing else', () => {
    const key = fc.oneof(
      fc.string(),
      fc.string().map((k) => `lk.pii.${k}`),
    );
    const hasPiiKey = (value: unknown): boolean =>
      Array.isArray(value)
        ? value.some(hasPiiKey)
        : value !== null && typeof value === 'object' && Object.entries(value).some(([k, v]) => isPiiKey(k) || hasPiiKey(v));
    fc.assert(
      fc.property(fc.object({ key, maxDepth: 4 }), (value) => {
        const scrubbed = withoutPii(value);
        expect(hasPiiKey(scrubbed)).toBe(false);
        expect(withoutPii(scrubbed)).toEqual(scrubbed);
        if (!hasPiiKey(value)) expect(scrubbed).toEqual(value);
      }),
    );
  });
});
