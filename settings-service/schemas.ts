// JSON schemas of the API: Fastify validates requests with them and the OpenAPI document is built from
// them. Agent settings themselves are checked by the settings-file schema (store/validate.ts), which
// lists every problem at once; the schemas here describe them for the document, and cap every length
// (settings/limits.ts) so that an over-long field is refused (422, the field named) before any of it
// is parsed or compiled. Caps written without a `type` apply only to values of that type, so a wrong
// type is still reported by the settings schema in its own words.
import { FALLBACKS_MAX, KEYPAD_MAX_KEYS, TEXT_LIMITS } from '../settings/limits.ts';

export const id = { type: 'string', pattern: '^[\\w.-]{1,64}$' } as const;

export const problems = {
  type: 'object',
  properties: { error: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
  required: ['error'],
} as const;

export const errors = { 400: problems, 401: problems, 403: problems, 404: problems } as const;

export const readBack = {
  type: 'object',
  properties: {
    lines: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
    errors: { type: 'array', items: { type: 'string' } },
    dialable: { type: 'array', items: { type: 'string' } },
    forbidden: {
      type: 'array',
      items: {
        type: 'object',
        properties: { destination: { type: 'string' }, rule: { type: 'integer' }, sentence: { type: 'string' } },
        required: ['destination', 'rule', 'sentence'],
      },
    },
    notDialled: {
      type: 'array',
      items: {
        type: 'object',
        properties: { destination: { type: 'string' }, rule: { type: 'integer' }, sentence: { type: 'string' }, why: { type: 'string' } },
        required: ['destination', 'rule', 'sentence', 'why'],
      },
    },
  },
  required: ['lines', 'warnings', 'errors', 'dialable', 'forbidden', 'notDialled'],
} as const;

export const holdMusic = {
  type: ['object', 'null'],
  properties: {
    sha256: { type: 'string' },
    format: { type: 'string', enum: ['mp3', 'wav'] },
    bytes: { type: 'integer' },
    name: { type: 'string' },
    durationMs: { type: 'number' },
    uploadedAt: { type: 'string' },
  },
} as const;

const seconds = (min: number, max: number) => ({ type: 'number', minimum: min, maximum: max });

/** The Warm Transfer section, as the page and PUT /v1/agents/{agentId}/warm-transfer write it. */
export const warmTransferInput = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    rules: { type: 'string', maxLength: TEXT_LIMITS.rules },
    passThroughCallerNumber: { type: 'boolean' },
    ringingTimeoutSeconds: seconds(5, 75),
    decisionTimeoutSeconds: seconds(5, 300),
    progressNoteIntervalSeconds: seconds(10, 600),
  },
  required: ['enabled'],
  additionalProperties: false,
} as const;

export const warmTransferOutput = {
  type: 'object',
  properties: {
    ...warmTransferInput.properties,
    warmTransferAvailable: { type: 'boolean' },
    holdMusic,
    plan: readBack,
    version: { type: 'integer' },
  },
} as const;

/** The rules text of PUT .../warm-transfer, PUT /v1/agents/{agentId} and POST /v1/rules/read-back. */
export const rulesText = { type: 'string', maxLength: TEXT_LIMITS.rules } as const;

const capped = (max: number) => ({ maxLength: max }) as const;
const destination = capped(TEXT_LIMITS.destination);

/** A settings file's fields plus organizationId and webhookUrl; checked in full by the settings schema. */
export const agentInput = {
  type: 'object',
  maxProperties: 16,
  properties: {
    organizationId: id,
    // Its length (2048) is checked with the rest of the URL (webhook-url.ts), in its own words.
    webhookUrl: { type: 'string' },
    instructions: { type: 'string', maxLength: TEXT_LIMITS.instructions },
    greeting: { type: 'string', maxLength: TEXT_LIMITS.greeting },
    agentPhoneNumber: { type: 'string', maxLength: TEXT_LIMITS.phoneNumber },
    agentId: capped(64),
    warmTransfer: { type: 'object', maxProperties: 12, properties: { rules: capped(TEXT_LIMITS.rules), holdMusic: capped(TEXT_LIMITS.path) } },
    trunks: {
      type: 'object',
      maxProperties: 6,
      properties: {
        pstnOutboundTrunkId: capped(TEXT_LIMITS.trunkId),
        pbx: { maxProperties: 4, properties: { outboundTrunkId: capped(TEXT_LIMITS.trunkId) } },
        inbound: { maxProperties: 4 },
      },
    },
    keypad: {
      type: 'object',
      maxProperties: KEYPAD_MAX_KEYS,
      propertyNames: { maxLength: 8 },
      additionalProperties: {
        ...destination,
        maxProperties: 8,
        properties: { destination, label: capped(TEXT_LIMITS.label), fallbacks: { maxItems: FALLBACKS_MAX, items: destination } },
      },
    },
    organization: { maxProperties: 4 },
  },
} as const;

export const agentOutput = {
  type: 'object',
  properties: {
    agentId: { type: 'string' },
    organizationId: { type: 'string' },
    settings: { type: 'object', additionalProperties: true },
    webhookUrl: { type: ['string', 'null'] },
    holdMusic,
    version: { type: 'integer' },
  },
} as const;

export const event = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    agentId: { type: 'string' },
    at: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
  },
} as const;

export const limit = { type: 'object', properties: { limit: { type: 'string', pattern: '^[1-9]\\d{0,2}$' } } } as const;
