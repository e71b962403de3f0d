// Length caps on every text field of an agent's settings, in one place: the settings-file schema
// (schema.ts) refuses a longer value with its field named, and the settings service's request schemas
// (settings-service/schemas.ts) refuse it before anything is parsed or compiled. Generous for a person,
// small enough that no field can make a worker or the service do much work or hold much memory.
export const TEXT_LIMITS = {
  /** Warm Transfer Rules: a few dozen paragraphs. The same cap on PUT, read-back and files. */
  rules: 20_000,
  /** The model's instructions. */
  instructions: 20_000,
  /** Spoken when a call is answered. */
  greeting: 1_000,
  /** An E.164 number is at most 16 characters with its '+'. */
  phoneNumber: 16,
  /** A LiveKit SIP trunk id (ST_...). */
  trunkId: 64,
  /** A destination: +E.164, ext:NNN, pbx:..., or a sip: URI. */
  destination: 256,
  /** A keypad label is spoken to the caller. */
  label: 40,
  /** A file name in a settings file (messages.file, warmTransfer.holdMusic). */
  path: 1_024,
} as const;

/** Keypad keys are 1-9, * and #. */
export const KEYPAD_MAX_KEYS = 11;
export const FALLBACKS_MAX = 5;
