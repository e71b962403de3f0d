// `start`: the worker in production, as the framework's CLI runs it, but stopped our way. The CLI's own SIGTERM
// handling waits for every job process with no bound and then exits at once, before the bridged calls this
// worker keeps could be handed to another worker. Here SIGTERM (or SIGINT) drains the worker within
// DRAIN_TIMEOUT_S (drain.ts) and then exits 0; a second signal exits at once.
import { AgentServer, initializeLogger, log, ServerOptions } from '@livekit/agents';
import { ConfigError } from './config.ts';
import { drainWorker, type DrainParts } from './drain.ts';
import { continueConversations, type ContinueParts } from './takeover/continue.ts';

/** Past the bound by this much, the process exits whatever the drain is doing. */
const HARD_EXIT_AFTER_MS = 3000;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** `--log-level <level>` from the arguments after `start`, else LOG_LEVEL, else info (as the CLI reads it). */
export function logLevel(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const at = args.indexOf('--log-level');
  const level = at >= 0 ? (args[at + 1] ?? '') : env.LOG_LEVEL;
  if (level === undefined) return 'info';
  if (!LEVELS.includes(level)) throw new ConfigError([`--log-level: must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(level ?? '')}`]);
  return level;
}

/** Runs the worker until a signal has drained it; never returns. */
export type StopParts = Omit<DrainParts, 'server' | 'log' | 'continueConversations'> & { continueWith: Omit<ContinueParts, 'log'> };

export async function serveUntilStopped(options: ServerOptions, level: string, { continueWith, ...parts }: StopParts): Promise<never> {
  initializeLogger({ pretty: false, level });
  // As the CLI's `start` builds it: production, and the token a LiveKit Cloud deployment gives its workers.
  const { production: _, ...given } = options;
  const workerToken = process.env.LIVEKIT_WORKER_TOKEN || given.workerToken;
  const server = new AgentServer(new ServerOptions({ ...given, production: true, logLevel: level, ...(workerToken ? { workerToken } : {}) }));
  const say = (entry: Record<string, unknown>) => console.log(JSON.stringify({ at: new Date().toISOString(), ...entry }));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      say({ event: 'drain_abandoned', signal });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    say({ event: 'stop_signal', signal });
    setTimeout(() => {
      say({ event: 'drain_overran', boundMs: parts.boundMs });
      process.exit(1);
    }, parts.boundMs + HARD_EXIT_AFTER_MS).unref();
    // At the bound, the calls still running with no transfer open go on in jobs on other workers.
    const running = () => server.activeJobs.map(({ job }) => ({ room: job.room?.name, metadata: job.metadata }));
    const continueRunning = () => continueConversations(running(), { ...continueWith, log: say });
    drainWorker({ ...parts, server, log: say, continueConversations: continueRunning }).then(
      () => process.exit(0),
      (error: unknown) => {
        say({ event: 'drain_failed', message: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await server.run();
  } catch (error) {
    // A server closed by the drain ends its run; that is the drain's to finish.
    if (!stopping) {
      log().fatal({ error: String(error) }, 'closing worker due to error');
      process.exit(1);
    }
  }
  return new Promise<never>(() => undefined);
}
