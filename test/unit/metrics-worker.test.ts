// The worker's metrics: what the registry exports for what it is told (names and labels in Prometheus style,
// label values from closed sets, agent ids checked and capped), observations from job processes carried
// through the real Redis to the main process's registry, and the loopback endpoint that serves them.
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveMetrics } from '../../core/metrics-http.ts';
import { receiveObservations, sendObservations } from '../../agent/metrics/relay.ts';
import { MAX_AGENT_LABELS, WorkerMetrics } from '../../agent/metrics/registry.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { fakeCall, fakeMusic } from '../support/fakes/index.ts';
import { testRecords } from '../support/records.ts';
import { testRedis } from '../support/redis.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const db = testRedis(inject('redisUrl'), 'transfers', 'metrics');
const records = testRecords();
afterAll(async () => {
  await db.close();
  await records.cleanup();
});

/** The value of one sample line of the exposition text (`name{labels} value`), undefined when absent. */
async function sample(metrics: WorkerMetrics, series: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the worker's registry", () => {
  it('counts transfers by outcome and agent, the durations in seconds, refusals and takeovers', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    metrics.apply({ metric: 'transfer', outcome: 'accepted', agent: 'acme.support' });
    metrics.apply({ metric: 'transfer', outcome: 'accepted', agent: 'acme.support' });
    metrics.apply({ metric: 'transfer', outcome: 'busy', agent: 'acme.sales' });
    metrics.apply({ metric: 'hold', outcome: 'accepted', seconds: 21.8 });
    metrics.apply({ metric: 'decision', choice: 'accept', source: 'voice', seconds: 14 });
    metrics.apply({ metric: 'takeover_gap', phase: 'briefing', seconds: 1.3 });
    metrics.apply({ metric: 'call_refused', reason: 'max_calls' });
    metrics.takeover('resume', 'job_exited');
    metrics.transferEnded(undefined, 'interrupted');
    expect(await sample(metrics, 'warm_transfer_transfers_total{outcome="accepted",agent="acme.support"}')).toBe(2);
    expect(await sample(metrics, 'warm_transfer_transfers_total{outcome="busy",agent="acme.sales"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_transfers_total{outcome="interrupted",agent="unknown"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_hold_seconds_bucket{le="20",outcome="accepted"}')).toBe(0);
    expect(await sample(metrics, 'warm_transfer_hold_seconds_bucket{le="30",outcome="accepted"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_hold_seconds_sum{outcome="accepted"}')).toBe(21.8);
    expect(await sample(metrics, 'warm_transfer_decision_seconds_count{choice="accept",source="voice"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_takeover_gap_seconds_count{phase="briefing"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_takeovers_total{mode="resume",reason="job_exited"}')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_calls_refused_total{reason="max_calls"}')).toBe(1);
    // A reason that never happened is exported at 0, so a rate over it is 0 rather than missing.
    expect(await sample(metrics, 'warm_transfer_calls_refused_total{reason="no_settings"}')).toBe(0);
    expect(await sample(metrics, 'warm_transfer_answer_seconds_count')).toBe(0);
  });

  it('reads the calls, transfers and kept calls in progress at each scrape', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    let calls = 2;
    metrics.watch({ calls: () => calls, transfers: () => 1, kept: () => 3 });
    expect(await sample(metrics, 'warm_transfer_calls_in_progress')).toBe(2);
    calls = 0;
    expect(await sample(metrics, 'warm_transfer_calls_in_progress')).toBe(0);
    expect(await sample(metrics, 'warm_transfer_transfers_in_progress')).toBe(1);
    expect(await sample(metrics, 'warm_transfer_kept_calls')).toBe(3);
  });

  it('uses an agent id as a label only in its own form, and at most MAX_AGENT_LABELS of them', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    expect(metrics.agentLabel('+15125551234')).toBe('unknown');
    expect(metrics.agentLabel('call_+15125550142_abc')).toBe('unknown');
    expect(metrics.agentLabel('Jane Doe')).toBe('unknown');
    expect(metrics.agentLabel('')).toBe('unknown');
    for (let i = 0; i < MAX_AGENT_LABELS; i++) expect(metrics.agentLabel(`org.agent-${i}`)).toBe(`org.agent-${i}`);
    expect(metrics.agentLabel('org.one-too-many')).toBe('other');
    expect(metrics.agentLabel('org.agent-7')).toBe('org.agent-7');
  });

  it('takes from a job process only what is an observation: other JSON, other metrics and junk are dropped', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    expect(metrics.applySent('{"metric":"transfer","outcome":"rejected","agent":"acme.support"}')).toBe(true);
    expect(metrics.applySent('{"metric":"transfer","outcome":"rejected"}')).toBe(false);
    expect(metrics.applySent('{"metric":"process_heap_bytes","value":1}')).toBe(false);
    expect(metrics.applySent('{"metric":"hold","outcome":"accepted","seconds":-3}')).toBe(false);
    expect(metrics.applySent('not json')).toBe(false);
    const text = await metrics.registry.metrics();
    expect(text).toContain('warm_transfer_transfers_total{outcome="rejected",agent="acme.support"} 1');
    expect(text).not.toContain('process_heap_bytes');
    expect(await sample(metrics, 'warm_transfer_hold_seconds_count{outcome="accepted"}')).toBeUndefined();
  });
});

describe('observations from job processes, through Redis', () => {
  it("reach their own worker's registry, also after the job that sent them is gone, and are trimmed once read", async () => {
    const main = new WorkerMetrics({ processMetrics: false });
    const other = new WorkerMetrics({ processMetrics: false });
    const prefix = `${db.prefix}metrics:`;
    const receiving = receiveObservations({ redis: db.redis, workerKey: 'worker-a', prefix }, (json) => main.applySent(json), 60_000);
    const elsewhere = receiveObservations({ redis: db.redis, workerKey: 'worker-b', prefix }, (json) => other.applySent(json), 60_000);
    try {
      await receiving.readNow(); // the reader starts from the stream's end as it is now
      // A job's own client, closed afterwards as a crashed process's would be.
      const job = db.redis.duplicate();
      const errors: unknown[] = [];
      const send = sendObservations({ redis: job, workerKey: 'worker-a', prefix }, (error) => errors.push(error));
      send({ metric: 'transfer', outcome: 'accepted', agent: 'acme.support' });
      send({ metric: 'answer', seconds: 2.5 });
      send({ metric: 'call_refused', reason: 'no_settings' });
      await job.ping();
      job.disconnect();
      await db.redis.xadd(`${prefix}worker-a`, '*', 'o', '{"metric":"nonsense"}');
      await receiving.readNow();
      await elsewhere.readNow();
      expect(errors).toEqual([]);
      expect(await sample(main, 'warm_transfer_transfers_total{outcome="accepted",agent="acme.support"}')).toBe(1);
      expect(await sample(main, 'warm_transfer_answer_seconds_sum')).toBe(2.5);
      expect(await sample(main, 'warm_transfer_calls_refused_total{reason="no_settings"}')).toBe(1);
      expect(await sample(other, 'warm_transfer_transfers_total{outcome="accepted",agent="acme.support"}')).toBeUndefined();
      // Read once: a second read applies nothing again, and only the last entry read is kept as the cursor.
      await receiving.readNow();
      expect(await sample(main, 'warm_transfer_transfers_total{outcome="accepted",agent="acme.support"}')).toBe(1);
      expect(await db.redis.xlen(`${prefix}worker-a`)).toBe(1);
      expect(await db.redis.pttl(`${prefix}worker-a`)).toBeGreaterThan(0);
    } finally {
      await Promise.all([receiving.stop(), elsewhere.stop()]);
    }
  });

  it('a real transfer whose two destinations fail: two attempts counted, one hold, from the tools the job runs', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    const observe = metrics.timelineObserver();
    const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
      agentId: 'acme.support',
      trunks: { pstnOutboundTrunkId: 'ST_pstn' },
      keypad: { '1': { destination: '+15125550000', fallbacks: ['+15125550001'] } },
    });
    // No server (a closed loopback port): each dial fails at once, and the chain tries the fallback.
    const call = fakeCall({ music: fakeMusic(), settings, records: records.callStore(), onTimeline: (entry) => observe(settings.agentId, entry) });
    expect(await call.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(await sample(metrics, 'warm_transfer_transfers_total{outcome="dial_failed",agent="acme.support"}')).toBe(2);
    expect(await sample(metrics, 'warm_transfer_hold_seconds_count{outcome="dial_failed"}')).toBe(1);
  });
});

describe('the metrics endpoint', () => {
  it('answers GET /metrics on loopback with the exposition text, and nothing else', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    metrics.apply({ metric: 'transfer', outcome: 'rejected', agent: 'acme.support' });
    let scrapes = 0;
    const server = await serveMetrics(metrics.registry, { host: '127.0.0.1', port: 0, beforeScrape: async () => void scrapes++ });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const scraped = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await scraped.text()).toContain('warm_transfer_transfers_total{outcome="rejected",agent="acme.support"} 1');
      expect(scrapes).toBe(1);
      expect((await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) })).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST', signal: AbortSignal.timeout(5000) })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
