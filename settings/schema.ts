// The shape of one agent's settings document and what it becomes once checked. Every field is checked
// on its own so problems are reported together; checks that relate fields (a destination needs its
// trunk) run once every field is valid on its own, because before that the fields cannot be trusted.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { canonicalDestination, destinationKey, formatDestination, parseDestination } from './destination.ts';
import type { Destination } from './destination.ts';
import { checkHoldMusicFile } from './hold-music.ts';
import { FALLBACKS_MAX, KEYPAD_MAX_KEYS, TEXT_LIMITS } from './limits.ts';
import { allowedDestinations, compilePlan, isForbidden } from './rules/plan.ts';
import type { TransferPlan } from './rules/plan.ts';

export interface AgentSettings {
  agentId: string;
  /** The file these settings were read from, as named to loadSettings. */
  file: string;
  organization: { warmTransferAvailable: boolean };
  instructions: string | undefined;
  greeting: string | undefined;
  /** E.164; shown to destinations as caller ID when the caller's own number is not passed through. */
  agentPhoneNumber: string | undefined;
  warmTransfer: {
    enabled: boolean;
    /** The rules as split by the parser, one paragraph each: the text to show the model. */
    rulesText: string;
    /** What the rules allow and forbid; the transfer tools obey only this. */
    plan: TransferPlan;
    /** Absolute path; undefined means the built-in hold music. */
    holdMusic: string | undefined;
    passThroughCallerNumber: boolean;
    ringingTimeoutMs: number;
    decisionTimeoutMs: number;
    progressNoteIntervalMs: number;
  };
  trunks: {
    pstnOutboundTrunkId: string | undefined;
    pbxOutboundTrunkId: string | undefined;
    /** The trunk calls come in on takes SIP REFER: keypad (cold) transfers are handed to it. */
    inboundAcceptsRefer: boolean;
  };
  /** Caller key → the transfer it starts: ordinary (cold), or warm (screened: briefed without a model). */
  keypad: ReadonlyMap<string, KeypadRule>;
  /** Absolute path of the JSON-lines file taken messages are appended to. */
  messagesFile: string | undefined;
}

/** What a caller's key press starts. The short form `"1": "ext:2001"` is `{ destination, warm: false }`. */
export interface KeypadRule {
  /** Tried first; then the fallbacks in order, while the caller stays on hold. */
  destinations: readonly Destination[];
  /** How the destination is named to the caller ("please hold while I check that sales is available"). */
  label: string;
  /** Screened: the caller holds while the destination is briefed and presses 1 to accept or 9 to reject. */
  warm: boolean;
}

const seconds = (fallback: number, min: number, max: number) => z.number().min(min).max(max).default(fallback);
const atMost = (max: number) => `at most ${max} characters`;
// Aborting: an over-long value is not compiled, and the checks that relate fields (which need every field
// valid on its own) are skipped, as for any other invalid field.
const capped = (max: number) => ({ error: atMost(max), abort: true });
const trunkId = z
  .string()
  .max(TEXT_LIMITS.trunkId, capped(TEXT_LIMITS.trunkId))
  .regex(/^ST_\w+$/, 'must be a LiveKit SIP trunk id, such as ST_a1b2c3');

const destination = z
  .string()
  .max(TEXT_LIMITS.destination, capped(TEXT_LIMITS.destination))
  .transform((raw, ctx) => {
    const parsed = parseDestination(raw);
    if (parsed.ok) return parsed.destination;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });

const rules = z
  .string()
  .max(TEXT_LIMITS.rules, capped(TEXT_LIMITS.rules))
  .default('')
  .transform((text, ctx) => {
    const compiled = compilePlan(text);
    if (compiled.ok) return compiled.plan;
    for (const error of compiled.errors) ctx.addIssue({ code: 'custom', message: error });
    return z.NEVER;
  });

const KEYPAD_RULE_SHAPE = 'a keypad rule is a destination such as "ext:2001", or { "destination": "ext:2001", "label": "sales", "warm": true }';

const keypadRuleObject = z.strictObject(
  {
    destination: z.string({ error: 'required: the destination to dial, such as "ext:2001"' }).pipe(destination),
    // Spoken to the caller and the person briefed: a few words, no markup.
    label: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(40, 'at most 40 characters: it is spoken to the caller')
      .regex(/^[\p{L}\p{N} '&.-]*$/u, "letters, digits, spaces and ' & . - only: it is spoken to the caller")
      .optional(),
    warm: z.boolean().default(false),
    fallbacks: z.array(destination).max(FALLBACKS_MAX, `at most ${FALLBACKS_MAX} fallbacks`).default([]),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? KEYPAD_RULE_SHAPE : undefined) },
);

// The short form is checked as a destination on its own, so its problems are reported at keypad.<key>.
const keypadRule = z.unknown().transform((value, ctx): z.output<typeof keypadRuleObject> => {
  if (typeof value === 'string') {
    if (value.length > TEXT_LIMITS.destination) {
      ctx.addIssue({ code: 'custom', message: atMost(TEXT_LIMITS.destination) });
      return z.NEVER;
    }
    const parsed = parseDestination(value);
    if (parsed.ok) return { destination: parsed.destination, warm: false, fallbacks: [] };
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  const parsed = keypadRuleObject.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

// 0 is not offered: a caller waiting on hold presses 0 to stop waiting and return to the agent.
const keypad = z
  .record(z.string(), keypadRule)
  .default({})
  .superRefine((keys, ctx) => {
    if (Object.keys(keys).length > KEYPAD_MAX_KEYS) ctx.addIssue({ code: 'custom', message: `at most ${KEYPAD_MAX_KEYS} keys (1-9, * and #)` });
    for (const [key, rule] of Object.entries(keys)) {
      const all = [rule.destination, ...rule.fallbacks].map(destinationKey);
      if (new Set(all).size < all.length) ctx.addIssue({ code: 'custom', path: [key, 'fallbacks'], message: 'names the same destination twice' });
      if (key === '0') ctx.addIssue({ code: 'custom', path: [key], message: 'key 0 is reserved: callers press 0 to stop waiting on hold' });
      else if (!/^[1-9*#]$/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'a keypad key is one of 1-9, * or #' });
    }
  });

/** The schema for the settings file at `file`; relative paths in it are resolved against its folder. */
export function agentSettingsSchema(file: string) {
  const folder = dirname(file);
  const holdMusic = z
    .string()
    .min(1)
    .max(TEXT_LIMITS.path, capped(TEXT_LIMITS.path))
    .transform(async (path, ctx) => {
      const absolute = resolve(folder, path);
      const check = await checkHoldMusicFile(absolute, path);
      if (!check.ok) ctx.addIssue({ code: 'custom', message: check.error });
      return absolute;
    });
  const messagesFile = z
    .string()
    .min(1)
    .max(TEXT_LIMITS.path, capped(TEXT_LIMITS.path))
    .transform((path, ctx) => {
      const absolute = resolve(folder, path);
      // The file is created on the first message, but its folder must exist or that message is lost.
      if (!existsSync(dirname(absolute))) ctx.addIssue({ code: 'custom', message: `folder not found: ${dirname(absolute)}` });
      return absolute;
    });

  return z
    .strictObject({
      agentId: z
        .string()
        .max(64, capped(64))
        .regex(/^[\w.-]+$/, 'letters, digits, dot, dash and underscore only'),
      organization: z.strictObject({ warmTransferAvailable: z.boolean().default(true) }).prefault({}),
      instructions: z.string().max(TEXT_LIMITS.instructions, capped(TEXT_LIMITS.instructions)).optional(),
      greeting: z.string().max(TEXT_LIMITS.greeting, capped(TEXT_LIMITS.greeting)).optional(),
      agentPhoneNumber: z
        .string()
        .max(TEXT_LIMITS.phoneNumber, capped(TEXT_LIMITS.phoneNumber))
        .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number, such as +15125550100')
        .optional(),
      warmTransfer: z
        .strictObject({
          enabled: z.boolean(),
          rules,
          holdMusic: holdMusic.optional(),
          passThroughCallerNumber: z.boolean().default(true),
          ringingTimeoutSeconds: seconds(30, 5, 75),
          decisionTimeoutSeconds: seconds(20, 5, 300),
          progressNoteIntervalSeconds: seconds(45, 10, 600),
        })
        .prefault({ enabled: false }),
      trunks: z
        .strictObject({
          inbound: z.strictObject({ acceptsRefer: z.boolean().default(false) }).prefault({}),
          pstnOutboundTrunkId: trunkId.optional(),
          pbx: z.strictObject({ outboundTrunkId: trunkId }).optional(),
        })
        .prefault({}),
      keypad,
      messages: z.strictObject({ file: messagesFile }).optional(),
    })
    .superRefine((s, ctx) => {
      const named = [
        ...s.warmTransfer.rules.rules.flatMap((r) => r.chains.flat().map((d) => ({ d, where: `warmTransfer.rules rule ${r.index}` }))),
        ...Object.entries(s.keypad).flatMap(([key, k]) => [k.destination, ...k.fallbacks].map((d) => ({ d, where: `keypad.${key}` }))),
      ];
      const needs = (kind: Destination['kind'], has: unknown, path: string[]) => {
        const first = named.find((n) => n.d.kind === kind);
        if (first && !has) ctx.addIssue({ code: 'custom', path, message: `required to dial ${formatDestination(first.d)} (${first.where})` });
      };
      for (const { d, where } of named.filter((n) => n.where.startsWith('keypad.'))) {
        if (!isForbidden(s.warmTransfer.rules, d)) continue;
        const by = s.warmTransfer.rules.rules.find((r) => r.forbids.some((f) => destinationKey(f) === destinationKey(d)));
        ctx.addIssue({ code: 'custom', path: where.split('.'), message: `${canonicalDestination(d)} is forbidden by warmTransfer.rules rule ${by?.index}` });
      }
      needs('extension', s.trunks.pbx, ['trunks', 'pbx']);
      needs('phone', s.trunks.pstnOutboundTrunkId, ['trunks', 'pstnOutboundTrunkId']);
      if (!s.warmTransfer.passThroughCallerNumber && !s.agentPhoneNumber) {
        ctx.addIssue({
          code: 'custom',
          path: ['agentPhoneNumber'],
          message: 'required when warmTransfer.passThroughCallerNumber is false: destinations are shown this number',
        });
      }
      if (s.warmTransfer.enabled && allowedDestinations(s.warmTransfer.rules).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['warmTransfer', 'rules'], message: 'warm transfer is enabled but no rule names a destination' });
      }
    })
    .transform((s): AgentSettings => ({
      agentId: s.agentId,
      file,
      organization: s.organization,
      instructions: s.instructions,
      greeting: s.greeting,
      agentPhoneNumber: s.agentPhoneNumber,
      warmTransfer: {
        enabled: s.warmTransfer.enabled,
        rulesText: s.warmTransfer.rules.rules.map((r) => r.text).join('\n\n'),
        plan: s.warmTransfer.rules,
        holdMusic: s.warmTransfer.holdMusic,
        passThroughCallerNumber: s.warmTransfer.passThroughCallerNumber,
        ringingTimeoutMs: s.warmTransfer.ringingTimeoutSeconds * 1000,
        decisionTimeoutMs: s.warmTransfer.decisionTimeoutSeconds * 1000,
        progressNoteIntervalMs: s.warmTransfer.progressNoteIntervalSeconds * 1000,
      },
      trunks: {
        pstnOutboundTrunkId: s.trunks.pstnOutboundTrunkId,
        pbxOutboundTrunkId: s.trunks.pbx?.outboundTrunkId,
        inboundAcceptsRefer: s.trunks.inbound.acceptsRefer,
      },
      keypad: new Map(
        Object.entries(s.keypad).map(([key, k]) => [
          key,
          { destinations: [k.destination, ...k.fallbacks], label: k.label ?? formatDestination(k.destination), warm: k.warm },
        ]),
      ),
      messagesFile: s.messages?.file,
    }));
}
