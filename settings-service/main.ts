// `npm run settings` starts the settings service; `npm run settings -- import <file|folder> [--organization <id>]`
// loads settings files into the store. Both use the Redis at REDIS_URL (its database index honoured).
import { parseArgs } from 'node:util';
import { buildApp } from './app.ts';
import { parseSessionTtl, parseTrustProxy } from './http-config.ts';
import { importSettings } from './import.ts';
import { SettingsError } from '../settings/settings.ts';
import { DEFAULT_KEY_PREFIX } from '../settings/store/keys.ts';
import { OUTBOX_RETENTION_MS, SettingsStore } from '../settings/store/store.ts';
import { type Tenancy, tenancyFromEnv } from './tenancy.ts';
import { webhookHostPolicy } from '../settings/webhook-url.ts';
import { startWebhookSender, WEBHOOK_DEFAULTS } from './webhooks.ts';
import { uploadLimitsFromEnv } from './upload-limits.ts';
import { parseMetricsListen, ServiceMetrics, type WebhookResult } from './metrics.ts';
import { serveMetrics } from '../core/metrics-http.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { organization: { type: 'string', default: 'default' } } });
const [command = 'serve', path] = positionals;
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
const prefix = process.env.SETTINGS_KEY_PREFIX || DEFAULT_KEY_PREFIX;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let tenancy: Tenancy;
try {
  tenancy = tenancyFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const uploads = uploadLimitsFromEnv(process.env);
if (!uploads.ok) fail(uploads.problems.join('\n'));

if (command === 'import') {
  if (!path) fail('usage: npm run settings -- import <file|folder> [--organization <id>]');
  const store = SettingsStore.connect(redisUrl, prefix);
  try {
    for (const { agentId, version, notes } of await importSettings(store, path, values.organization, { ...tenancy, uploads: uploads.limits })) {
      console.log(`imported agent ${agentId} (organization ${values.organization}, version ${version})`);
      for (const note of notes) console.log(`  ${note}`);
    }
  } catch (error) {
    if (error instanceof SettingsError) fail(`${error.message}\nnothing was imported`);
    throw error;
  } finally {
    await store.close();
  }
} else if (command === 'serve') {
  const adminToken = process.env.SETTINGS_ADMIN_TOKEN ?? '';
  if (adminToken.length < 16) fail('SETTINGS_ADMIN_TOKEN must be set to a secret of at least 16 characters; the service does not start without it');
  const port = Number(process.env.SETTINGS_PORT || 8790);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`SETTINGS_PORT must be a TCP port, not '${process.env.SETTINGS_PORT}'`);
  let allowedHosts;
  try {
    allowedHosts = webhookHostPolicy();
  } catch (error) {
    fail((error as Error).message);
  }
  const retentionS = Number(process.env.SETTINGS_WEBHOOK_RETENTION_S || WEBHOOK_DEFAULTS.retentionMs / 1000);
  if (!Number.isInteger(retentionS) || retentionS < 60 || retentionS > OUTBOX_RETENTION_MS / 1000) {
    fail(`SETTINGS_WEBHOOK_RETENTION_S must be whole seconds from 60 to ${OUTBOX_RETENTION_MS / 1000}, not '${process.env.SETTINGS_WEBHOOK_RETENTION_S}'`);
  }
  const maxQueued = Number(process.env.SETTINGS_WEBHOOK_MAX_QUEUED || WEBHOOK_DEFAULTS.maxQueuedPerOrganization);
  if (!Number.isInteger(maxQueued) || maxQueued < 1)
    fail(`SETTINGS_WEBHOOK_MAX_QUEUED must be a positive whole number, not '${process.env.SETTINGS_WEBHOOK_MAX_QUEUED}'`);
  const trustProxy = parseTrustProxy(process.env.SETTINGS_TRUST_PROXY);
  const sessionTtl = parseSessionTtl(process.env.SETTINGS_SESSION_TTL_S);
  const metricsListen = parseMetricsListen(process.env);
  const problems = [trustProxy, sessionTtl, metricsListen].flatMap((p) => (p.ok ? [] : [p.error]));
  if (problems.length > 0 || !trustProxy.ok || !sessionTtl.ok || !metricsListen.ok) fail(problems.join('\n'));
  // Metrics on a port of their own (SETTINGS_METRICS_PORT), never on the service's: aggregates only (metrics.ts).
  const metrics = metricsListen.value && new ServiceMetrics();
  const store = SettingsStore.connect(redisUrl, prefix);
  const app = await buildApp({
    store,
    adminToken,
    tenancy,
    uploads: uploads.limits,
    trustProxy: trustProxy.value,
    sessions: { sessionTtlSeconds: sessionTtl.value },
    logger: { level: 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
  });
  // Webhooks are signed with each organization's own secret: the LiveKit keys are not needed (nor used) here.
  const sender = startWebhookSender(store, {
    allowedHosts,
    retentionMs: retentionS * 1000,
    maxQueuedPerOrganization: maxQueued,
    log: (msg, fields) => app.log.warn(fields, msg),
    ...(metrics ? { onDelivery: (result: WebhookResult) => metrics.webhook(result) } : {}),
  });
  const listen = metricsListen.value;
  const metricsServer =
    metrics && listen
      ? await serveMetrics(metrics.registry, listen).catch((error: unknown) =>
          fail(`SETTINGS_METRICS_PORT: cannot serve metrics on ${listen.host}:${listen.port}: ${(error as Error).message}`),
        )
      : undefined;
  const shutdown = async () => {
    await sender.stop();
    await metricsServer?.close();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({ host: '127.0.0.1', port });
} else {
  fail(`unknown command '${command}'; use serve (the default) or import <file|folder>`);
}
