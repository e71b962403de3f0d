// The worker's configuration is checked once, at start, and every problem is reported together.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { agentIdFromMetadata, resolveSettings } from '../../agent/call-settings/files.ts';
import { ConfigError, loadConfig } from '../../agent/config.ts';
import { logLevel } from '../../agent/serve.ts';
import { SettingsError } from '../../settings/settings.ts';
import { planFor } from '../../settings/rules/plan.ts';

const base = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' };

describe('worker configuration', () => {
  it('applies defaults, and picks espeak-ng without an OpenAI key', () => {
    const config = loadConfig(base);
    expect(config.agentName).toBe('warm-transfer-agent');
    expect(config.tts).toBe('espeak');
    expect(config.openai).toBeUndefined();
    expect(config.transfer).toMatchObject({ passThroughCallerNumber: true, ringingTimeoutMs: 30_000, topology: 'auto' });
    expect(loadConfig({ ...base, OPENAI_API_KEY: 'k' }).tts).toBe('openai');
  });

  it('takes the bridge drill only as WARM_TRANSFER_FAULT=bridge, and never by default', () => {
    expect(loadConfig(base).transfer.fault).toBeUndefined();
    expect(loadConfig({ ...base, WARM_TRANSFER_FAULT: 'bridge' }).transfer.fault).toBe('bridge');
    expect(() => loadConfig({ ...base, WARM_TRANSFER_FAULT: 'brigde' })).toThrow(/WARM_TRANSFER_FAULT/);
  });

  it('serves metrics only when METRICS_PORT is set, on loopback unless METRICS_HOST names an IP address', () => {
    expect(loadConfig(base).metrics).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => loadConfig({ ...base, METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: 'prometheus scrapes me' })).toThrow(/METRICS_HOST/);
  });

  it('gives a job process 30 s to start unless told otherwise, and refuses a start timeout of nothing', () => {
    expect(loadConfig(base).processStartTimeoutMs).toBe(30_000);
    expect(loadConfig({ ...base, WORKER_PROCESS_START_TIMEOUT_S: '45' }).processStartTimeoutMs).toBe(45_000);
    expect(() => loadConfig({ ...base, WORKER_PROCESS_START_TIMEOUT_S: '0' })).toThrow(/WORKER_PROCESS_START_TIMEOUT_S/);
  });

  it('drains within 120 s of SIGTERM unless told otherwise, from 5 s to an hour; refuses anything else', () => {
    expect(loadConfig(base).drainTimeoutMs).toBe(120_000);
    expect(loadConfig({ ...base, DRAIN_TIMEOUT_S: '45' }).drainTimeoutMs).toBe(45_000);
    for (const bad of ['0', '4', '3601', '-30', 'two minutes', '']) expect(() => loadConfig({ ...base, DRAIN_TIMEOUT_S: bad }), bad).toThrow(/DRAIN_TIMEOUT_S/);
  });

  it("reads `start`'s log level as the framework's CLI does: --log-level, else LOG_LEVEL, else info; refuses others", () => {
    expect(logLevel([], {})).toBe('info');
    expect(logLevel([], { LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevel(['--log-level', 'warn'], { LOG_LEVEL: 'debug' })).toBe('warn');
    for (const args of [['--log-level'], ['--log-level', 'verbose'], ['--log-level', '--url']]) expect(() => logLevel(args, {})).toThrow(ConfigError);
    expect(() => logLevel([], { LOG_LEVEL: 'loud' })).toThrow(/--log-level/);
  });

  it('takes one call per core and keeps as many processes warm (up to 4) unless told otherwise', () => {
    const cores = availableParallelism();
    expect(loadConfig(base)).toMatchObject({ maxCalls: cores, idleProcesses: Math.min(4, cores) });
    expect(loadConfig({ ...base, WORKER_MAX_CALLS: '12' })).toMatchObject({ maxCalls: 12, idleProcesses: 4 });
    expect(loadConfig({ ...base, WORKER_MAX_CALLS: '1' })).toMatchObject({ maxCalls: 1, idleProcesses: 1 });
    expect(loadConfig({ ...base, WORKER_MAX_CALLS: '6', WORKER_IDLE_PROCESSES: '2' })).toMatchObject({ maxCalls: 6, idleProcesses: 2 });
    expect(() => loadConfig({ ...base, WORKER_MAX_CALLS: '0' })).toThrow(/WORKER_MAX_CALLS/);
    expect(() => loadConfig({ ...base, WORKER_MAX_CALLS: 'many' })).toThrow(/WORKER_MAX_CALLS/);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        LIVEKIT_URL: 'localhost:7880',
        LIVEKIT_API_KEY: 'devkey',
        RINGING_TIMEOUT_S: '500',
        TRANSFER_TOPOLOGY: 'teleport',
        PASS_THROUGH_CALLER_NUMBER: 'no',
        HOLD_MUSIC: '/nonexistent/hold.mp3',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const field of ['LIVEKIT_URL', 'LIVEKIT_API_SECRET', 'RINGING_TIMEOUT_S', 'TRANSFER_TOPOLOGY']) expect(problems).toContain(field);
  });

  it("checks the environment's transfer settings like a settings file, before any call", async () => {
    const config = loadConfig({ ...base, WARM_TRANSFER_DESTINATION: '+44 20 7946 0958' });
    await expect(resolveSettings(config)).rejects.toThrow(SettingsError);
    await expect(resolveSettings(config)).rejects.toThrow(/not a US phone number/);
    const ok = (await resolveSettings(loadConfig({ ...base, WARM_TRANSFER_DESTINATION: 'ext:1002', SIP_PBX_TRUNK_ID: 'ST_pbx' }))).forAgent(undefined);
    expect(ok.warmTransfer.enabled).toBe(true);
    expect(planFor(ok.warmTransfer.plan, 'pbx:1002')).toBeDefined();
  });

  it('reads the agent id from dispatch metadata, plain or JSON', () => {
    expect(agentIdFromMetadata('support')).toBe('support');
    expect(agentIdFromMetadata('{"agentId":"sales"}')).toBe('sales');
    expect(agentIdFromMetadata('{"other":1}')).toBeUndefined();
    expect(agentIdFromMetadata('  ')).toBeUndefined();
  });
});
