/**
 * Releases the read-timeout timer the SDKs leave running after every completed call.
 *
 * `httpx` (the HTTP layer under `@alicloud/openapi-core`, `@darabonba/typescript` and
 * `@alicloud/credentials`) starts a timer of `readTimeout` (15 s here) when a request gets its socket,
 * keeps it on the socket under `Symbol('TIMER::READ_TIMER')`, and clears it only in its own `httpx.read`.
 * The SDKs read response bodies with `@darabonba/typescript`'s `Stream.readAsBytes`, which does not call
 * `httpx.read`, so the timer of every call stays active for the whole 15 s, holding its request, response,
 * headers and signed URL. A dry run over 100,000 instances makes ~3,000 calls in a few seconds and kept
 * all of them alive: 27 MB of its live heap at the end of planning (heap snapshot, docs/benchmarks.md §4).
 * When such a timer fires, httpx aborts a request that finished long ago, which does nothing but
 * allocate an error.
 *
 * The fix here: when a response has been read to its end, clear the timer its socket carries (the same
 * `clearTimeout` httpx.read would have done). Seen through `node:diagnostics_channel`
 * (`http.client.response.finish`, published for every client response of `http` and `https`), so no SDK
 * code is patched. Without the symbol (another httpx) it does nothing.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** The description of httpx's socket symbol (httpx 2.3 and 3.0, lib/index.js `READ_TIMER`). */
export const HTTPX_READ_TIMER = 'TIMER::READ_TIMER';

let installed = false;

/**
 * Installs the release once per process (every cloud client shares the one httpx module); later calls
 * do nothing.
 */
export function releaseReadTimersAfterResponses(): void {
  if (installed) return;
  installed = true;
  subscribe('http.client.response.finish', (message) => {
    const response = (message as { response?: IncomingMessage }).response;
    // Taken now: node detaches the socket from the response when the body ends (keep-alive reuse).
    const socket = response?.socket;
    if (!response || !socket) return;
    // Runs in the same 'end' emit as node's own handler, before the socket goes back to the pool (next
    // tick), so the timer cleared is this request's, never the next one's.
    response.once('end', () => clearReadTimer(socket));
  });
}

/** Clears and removes the httpx read timer `socket` carries, if any. */
export function clearReadTimer(socket: Socket): void {
  const holder = socket as unknown as Record<symbol, unknown>;
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description !== HTTPX_READ_TIMER) continue;
    const timer = holder[symbol];
    if (timer !== null && timer !== undefined) clearTimeout(timer as NodeJS.Timeout);
    holder[symbol] = null;
  }
}
