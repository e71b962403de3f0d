// Loopback webhook receivers for the webhook tests: each records what it was sent and answers as told
// (a status, a redirect, or never, for an endpoint that hangs).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Bodies parsed. */
  events(): Array<{ id: string; organizationId?: string; agentId: string; event: string; data: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** `answer` writes the response; the default answers 200. Hanging requests are cut off at close. */
export async function startReceiver(answer: (response: ServerResponse, received: Received) => void = (r) => r.end()): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { body, headers: request.headers, at: Date.now() };
      received.push(entry);
      answer(response, entry);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    events: () => received.map((r) => JSON.parse(r.body)),
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
