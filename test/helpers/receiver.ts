/**
 * A local HTTP receiver on 127.0.0.1 for notification tests: records every request (path, query, headers,
 * JSON body; `{}` for a body that is not JSON, e.g. an SDK's form-encoded call) and answers per path: 200 `{"errcode":0,"errmsg":"ok"}` by default, or what `answers` says.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface Receiver {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  requests: ReceivedRequest[];
  /** Requests to one path, in arrival order. */
  to(path: string): ReceivedRequest[];
  /** Answer of a path: HTTP status and body. */
  answers: Map<string, { status: number; body: string }>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const answers = new Map<string, { status: number; body: string }>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: jsonOrEmpty(text),
      });
      const answer = answers.get(url.pathname) ?? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive
      }),
  };
}

function jsonOrEmpty(text: string): Record<string, unknown> {
  try {
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return {};
  }
}
