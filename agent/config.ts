// The worker's configuration: read from the environment once, at start-up, and validated as a whole so
// that every problem is reported together. The transfer variables (hold music, caller ID, rules) are checked
// with the agent settings they become (agent-settings.ts), in the same pass at start-up.
// A call must never reach "please hold" with a bad setting.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseSipHostPolicy, type SipHostPolicy } from './transfer/dial/sip-host.ts';

/**
 * The worker's key, set by the worker's main process before it forks any job process, which inherit it: the
 * transfers they carry count under it (capacity/carrying.ts) and their records name it (takeover/watcher.ts).
 */
export const WORKER_KEY_ENV = 'WARM_TRANSFER_WORKER_KEY';
/**
 * Set by the main process for its job processes (keeper/start.ts): the topologies whose bridged calls its keeper
 * carries (`bridge,move`, or `move` without a forwarder). Unset: a job keeps its bridged call to the end.
 */
export const KEEPER_ENV = 'WARM_TRANSFER_KEEPER';

/** MAX_BRIDGED_CALL_S's default: four hours. */
export const DEFAULT_MAX_BRIDGED_MS = 4 * 3600 * 1000;

const seconds = (fallback: number, max: number) => z.coerce.number().positive().max(max).default(fallback);

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const schema = z
  .object({
    LIVEKIT_URL: z.string().regex(/^(wss?|https?):\/\//, 'must be a ws://, wss://, http:// or https:// URL'),
    LIVEKIT_API_KEY: z.string().min(1),
    LIVEKIT_API_SECRET: z.string().min(1),
    AGENT_NAME: z
      .string()
      .regex(/^[\w.-]+$/, 'letters, digits, dot, dash and underscore only')
      .default('warm-transfer-agent'),
    AGENT_GREETING: z.string().min(1).default('Hello, thanks for calling. How can I help you today?'),
    AGENT_INSTRUCTIONS: optionalText,
    WORKER_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
    // Prometheus metrics on a port of their own (the framework's health port serves nothing else); unset: none.
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_HOST: z
      .string()
      .trim()
      .refine((host) => isIP(host) !== 0 || host === 'localhost', 'an IP address to listen on (127.0.0.1, 0.0.0.0, ::)')
      .default('127.0.0.1'),
    // Above 1 the worker never reports itself full (the load is a CPU share from 0 to 1).
    WORKER_LOAD_THRESHOLD: z.coerce.number().gt(0).max(100).default(0.9),
    // Unset: as many as WORKER_MAX_CALLS, up to 4 (a burst up to the worker's capacity finds warm processes).
    WORKER_IDLE_PROCESSES: z.coerce.number().int().min(1).max(16).optional(),
    // Calls (job processes) the worker runs at once; a call past that is refused. Unset: one per core, what a
    // 2-core machine carried with every transfer succeeding in the benchmark (README, Benchmark).
    WORKER_MAX_CALLS: z.coerce.number().int().min(1).max(1000).optional(),
    // How long a job process may take to start before the framework kills it (its own default is 10 s, which a
    // burst of calls on a busy machine exceeds: the killed process's start-up CPU is wasted and begun again).
    WORKER_PROCESS_START_TIMEOUT_S: z.coerce.number().min(1).max(300).default(30),
    // SIGTERM: the worker stops taking calls, hands its bridged calls to another worker, and has exited by then.
    DRAIN_TIMEOUT_S: z.coerce.number().min(5).max(3600).default(120),
    // Open transfers and bridged calls the worker carries at most: at that many it reports itself full.
    WORKER_MAX_TRANSFERS: z.coerce.number().int().min(1).max(1000).default(8),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: z.url().optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
    OPENAI_STT_MODEL: z.string().min(1).default('whisper-1'),
    OPENAI_TTS_MODEL: z.string().min(1).default('gpt-4o-mini-tts'),
    OPENAI_TTS_VOICE: z.string().min(1).default('alloy'),
    ESPEAK_VOICE: z.string().min(1).default('en-us'),
    // Words per minute of the embedded voice: a little above espeak-ng's 175, so a briefing fits in ten seconds.
    ESPEAK_SPEED: z.coerce.number().int().min(80).max(400).default(200),
    TTS_PROVIDER: z.enum(['auto', 'espeak', 'openai']).default('auto'),
    // Without a transcription service, the briefing may hear spoken yes and no with the offline recogniser. Off
    // by default: it has not met its accuracy target (it took 2 of 80 other utterances for an accept).
    OFFLINE_DECISION: z.enum(['on', 'off']).default('off'),
    WARM_TRANSFER_ENABLED: flag(true),
    WARM_TRANSFER_DESTINATION: optionalText,
    WARM_TRANSFER_RULES: optionalText,
    AGENT_SETTINGS: optionalText,
    SETTINGS_REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    SETTINGS_KEY_PREFIX: z.string().min(1).default('warm-transfer:'),
    MESSAGES_FILE: z.string().min(1).default('messages.jsonl'),
    SIP_OUTBOUND_TRUNK_ID: optionalText,
    SIP_PBX_TRUNK_ID: optionalText,
    // Loopback, private, link-local and unspecified hosts a `sip:` destination may reach (none unless listed).
    SIP_ALLOWED_HOSTS: z
      .string()
      .optional()
      .transform((text, ctx) => {
        const parsed = parseSipHostPolicy(text);
        if (parsed.ok) return parsed.policy;
        for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }),
    HOLD_MUSIC: optionalText,
    PASS_THROUGH_CALLER_NUMBER: flag(true),
    AGENT_PHONE_NUMBER: optionalText,
    RINGING_TIMEOUT_S: seconds(30, 75),
    DECISION_TIMEOUT_S: seconds(20, 120),
    TRANSFER_DEADLINE_S: seconds(300, 3600),
    // A bridged call is ended after this long, so a line left open (a phone off the hook) cannot hold a worker for ever.
    MAX_BRIDGED_CALL_S: seconds(DEFAULT_MAX_BRIDGED_MS / 1000, 24 * 3600),
    // Warm transfers begun on one call at most: a caller who keeps asking is refused, and told.
    WARM_TRANSFER_MAX_PER_CALL: z.coerce.number().int().min(1).max(100).default(3),
    // Transfers one organization (settings from the store) runs at once, across every worker.
    WARM_TRANSFER_MAX_PER_ORGANIZATION: z.coerce.number().int().min(1).max(10_000).default(20),
    TRANSFER_TOPOLOGY: z.enum(['auto', 'move', 'bridge']).default('auto'),
    // A drill, never for production: `bridge` makes every self-hosted bridge fail at the accept.
    WARM_TRANSFER_FAULT: z.enum(['hold', 'bridge']).optional(),
    RULES_COMPILER: z.enum(['parser', 'model']).default('parser'),
    // What carries a bridged call: `forwarder`, the worker's keeper (its job process ends; between two rooms the
    // forwarder carries the encoded audio); `relay`, the job, decoding and re-encoding, to the end of the call.
    BRIDGE_CARRIER: z.enum(['forwarder', 'relay']).default('forwarder'),
    [KEEPER_ENV]: z
      .string()
      .regex(/^(bridge|move)(,(bridge|move))*$/)
      .optional(),
    [WORKER_KEY_ENV]: optionalText,
  })
  .superRefine((env, ctx) => {
    if (env.AGENT_SETTINGS && !existsSync(env.AGENT_SETTINGS)) {
      ctx.addIssue({ code: 'custom', path: ['AGENT_SETTINGS'], message: `no such file or folder: ${env.AGENT_SETTINGS}` });
    }
    if (env.RULES_COMPILER === 'model' && !env.OPENAI_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['RULES_COMPILER'], message: 'model needs OPENAI_API_KEY' });
    }
    if (env.AGENT_SETTINGS && env.SETTINGS_REDIS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SETTINGS_REDIS_URL'],
        message: 'set either AGENT_SETTINGS (files) or SETTINGS_REDIS_URL (the settings store), not both',
      });
    }
    if (env.TTS_PROVIDER === 'openai' && !env.OPENAI_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['TTS_PROVIDER'], message: 'openai needs OPENAI_API_KEY' });
    }
  });

export type Env = z.output<typeof schema>;

export interface WorkerConfig {
  livekit: { url: string; apiKey: string; apiSecret: string };
  agentName: string;
  greeting: string;
  instructions: string | undefined;
  workerHttpPort: number;
  /** Where the main process serves its metrics (METRICS_PORT, METRICS_HOST); job processes send theirs when set. */
  metrics: { host: string; port: number } | undefined;
  idleProcesses: number;
  maxCalls: number;
  processStartTimeoutMs: number;
  loadThreshold: number;
  maxTransfers: number;
  redisUrl: string;
  openai: { apiKey: string; baseURL: string | undefined; model: string; sttModel: string; ttsModel: string; ttsVoice: string } | undefined;
  espeakVoice: string;
  espeakSpeed: number;
  /** Which TTS speaks: OpenAI's when a key is set (unless forced), else the embedded espeak-ng. */
  tts: 'espeak' | 'openai';
  /** Whether, with no transcription service, the briefing listens for spoken decisions offline (PocketSphinx). */
  offlineDecision: boolean;
  /** A settings file or folder (agent/settings); without it the settings come from these variables. */
  settingsPath: string | undefined;
  /** The shared settings store (settings-service/): agents are read from it at each call. */
  settingsStore: { url: string; prefix: string } | undefined;
  messagesFile: string;
  /** SIP_ALLOWED_HOSTS: the restricted hosts `sip:` destinations may still reach (authorise.ts). */
  sipHosts: SipHostPolicy;
  /** DRAIN_TIMEOUT_S: from SIGTERM to the worker's exit, at most (drain.ts). */
  drainTimeoutMs: number;
  /** The worker's key (WORKER_KEY_ENV): set in a job process; in the main process only when given. */
  workerKey: string | undefined;
  /** Who compiles the rules into the plan: the parser alone, or a model whose proposal the parser checks. */
  rulesCompiler: 'parser' | 'model';
  transfer: {
    enabled: boolean;
    destination: string | undefined;
    rules: string | undefined;
    outboundTrunkId: string | undefined;
    pbxTrunkId: string | undefined;
    holdMusic: string | undefined;
    passThroughCallerNumber: boolean;
    agentPhoneNumber: string | undefined;
    ringingTimeoutMs: number;
    decisionTimeoutMs: number;
    deadlineMs: number;
    maxBridgedMs: number;
    /** WARM_TRANSFER_MAX_PER_CALL, WARM_TRANSFER_MAX_PER_ORGANIZATION (the latter with the settings store only). */
    maxPerCall: number;
    maxPerOrganization: number;
    /** WARM_TRANSFER_FAULT: a drill that fails every hold (`hold`) or every relay bridge at the accept (`bridge`). */
    fault: 'hold' | 'bridge' | undefined;
    topology: 'auto' | 'move' | 'bridge';
    /** BRIDGE_CARRIER. */
    bridgeCarrier: 'forwarder' | 'relay';
    /** The topologies whose bridged calls the worker's keeper carries (KEEPER_ENV; a job process only). */
    keeperCarries: readonly ('bridge' | 'move')[];
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the whole environment; throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const e = parsed.data;
  const maxCalls = e.WORKER_MAX_CALLS ?? Math.max(1, availableParallelism());
  return {
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    agentName: e.AGENT_NAME,
    greeting: e.AGENT_GREETING,
    instructions: e.AGENT_INSTRUCTIONS,
    workerHttpPort: e.WORKER_HTTP_PORT,
    metrics: e.METRICS_PORT === undefined ? undefined : { host: e.METRICS_HOST, port: e.METRICS_PORT },
    idleProcesses: e.WORKER_IDLE_PROCESSES ?? Math.min(4, maxCalls),
    maxCalls,
    processStartTimeoutMs: e.WORKER_PROCESS_START_TIMEOUT_S * 1000,
    loadThreshold: e.WORKER_LOAD_THRESHOLD,
    maxTransfers: e.WORKER_MAX_TRANSFERS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_S * 1000,
    redisUrl: e.REDIS_URL,
    openai: e.OPENAI_API_KEY
      ? {
          apiKey: e.OPENAI_API_KEY,
          baseURL: e.OPENAI_BASE_URL,
          model: e.OPENAI_MODEL,
          sttModel: e.OPENAI_STT_MODEL,
          ttsModel: e.OPENAI_TTS_MODEL,
          ttsVoice: e.OPENAI_TTS_VOICE,
        }
      : undefined,
    espeakVoice: e.ESPEAK_VOICE,
    espeakSpeed: e.ESPEAK_SPEED,
    tts: e.TTS_PROVIDER === 'auto' ? (e.OPENAI_API_KEY ? 'openai' : 'espeak') : e.TTS_PROVIDER,
    offlineDecision: e.OFFLINE_DECISION === 'on',
    settingsPath: e.AGENT_SETTINGS,
    settingsStore: e.SETTINGS_REDIS_URL ? { url: e.SETTINGS_REDIS_URL, prefix: e.SETTINGS_KEY_PREFIX } : undefined,
    messagesFile: e.MESSAGES_FILE,
    rulesCompiler: e.RULES_COMPILER,
    workerKey: e[WORKER_KEY_ENV],
    sipHosts: e.SIP_ALLOWED_HOSTS,
    transfer: {
      enabled: e.WARM_TRANSFER_ENABLED,
      destination: e.WARM_TRANSFER_DESTINATION,
      rules: e.WARM_TRANSFER_RULES,
      outboundTrunkId: e.SIP_OUTBOUND_TRUNK_ID,
      pbxTrunkId: e.SIP_PBX_TRUNK_ID,
      holdMusic: e.HOLD_MUSIC,
      passThroughCallerNumber: e.PASS_THROUGH_CALLER_NUMBER,
      agentPhoneNumber: e.AGENT_PHONE_NUMBER,
      ringingTimeoutMs: e.RINGING_TIMEOUT_S * 1000,
      decisionTimeoutMs: e.DECISION_TIMEOUT_S * 1000,
      deadlineMs: e.TRANSFER_DEADLINE_S * 1000,
      maxBridgedMs: e.MAX_BRIDGED_CALL_S * 1000,
      maxPerCall: e.WARM_TRANSFER_MAX_PER_CALL,
      maxPerOrganization: e.WARM_TRANSFER_MAX_PER_ORGANIZATION,
      fault: e.WARM_TRANSFER_FAULT,
      topology: e.TRANSFER_TOPOLOGY,
      bridgeCarrier: e.BRIDGE_CARRIER,
      keeperCarries: e.BRIDGE_CARRIER === 'relay' ? [] : ((e[KEEPER_ENV]?.split(',') ?? []) as ('bridge' | 'move')[]),
    },
  };
}
