/**
 * Delivery of notification documents to sinks: `webhook:` (one JSON document per event, POSTed) and
 * `dingtalk:` (a DingTalk custom-robot markdown message, signed when the URL carries `secret=`).
 *
 * DingTalk signing, as documented for the custom robot's "加签" (open.dingtalk.com, custom robot
 * security settings): `timestamp` = now in ms, `sign` = Base64(HmacSHA256(key = secret,
 * `${timestamp}\n${secret}`)), both appended to the webhook URL as URL-encoded query parameters; the
 * secret itself is never sent. The robot answers HTTP 200 with `{"errcode":0,"errmsg":"ok"}`; any other
 * errcode is a failed delivery.
 *
 * `publish` returns at once: deliveries run in the background, in order per sink, with retries and
 * exponential backoff on the injected clock, so an execution is never blocked or failed by a sink.
 * `flush` awaits them and returns the delivered/failed counts. Sink URLs hold secrets (access tokens,
 * signing secrets): logs name a sink by its scheme and host only.
 */
import { createHmac } from 'node:crypto';
import type { Clock, DeliveryStats, Logger, NotificationEvent, Notifier } from '../engine/index.js';
import type { NotificationSink } from '../inputs/notify.js';
import { renderNotificationMarkdown } from './markdown.js';

/** Retry and timeout defaults of a delivery. */
export const DELIVERY_DEFAULTS = {
  /** @default 4 attempts per event and sink */
  attempts: 4,
  /** @default 500 ms before the 2nd attempt, doubling (500, 1000, 2000) */
  baseDelayMs: 500,
  /** @default 5000 ms per HTTP request */
  timeoutMs: 5000,
} as const;

export interface HttpNotifierOptions {
  sinks: readonly NotificationSink[];
  clock: Clock;
  logger: Logger;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

/** The DingTalk signature of `timestamp` with `secret` (Base64, before URL encoding). */
export function dingTalkSignature(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/** Sends notification documents over HTTP(S) to every sink. */
export class HttpNotifier implements Notifier {
  readonly #options: HttpNotifierOptions;
  /** The last delivery queued per sink: the next one waits for it, so each sink gets events in order. */
  readonly #tails = new Map<NotificationSink, Promise<void>>();
  readonly #stats: DeliveryStats = { delivered: 0, failed: 0 };

  public constructor(options: HttpNotifierOptions) {
    this.#options = options;
  }

  public publish(event: NotificationEvent): void {
    for (const sink of this.#options.sinks) {
      const previous = this.#tails.get(sink) ?? Promise.resolve();
      const delivery = previous
        .then(() => this.#deliver(sink, event))
        .then(
          (ok) => {
            if (ok) this.#stats.delivered += 1;
            else this.#stats.failed += 1;
          },
          () => {
            this.#stats.failed += 1;
          },
        );
      this.#tails.set(sink, delivery);
    }
  }

  /** Waits for every delivery queued so far (retries included) and returns the counts. */
  public async flush(): Promise<DeliveryStats> {
    let tails: Promise<void>[] = [];
    do {
      tails = [...this.#tails.values()];
      await Promise.all(tails);
    } while ([...this.#tails.values()].some((tail, index) => tail !== tails[index]));
    return { ...this.#stats };
  }

  async #deliver(sink: NotificationSink, event: NotificationEvent): Promise<boolean> {
    const { clock, logger } = this.#options;
    const attempts = this.#options.attempts ?? DELIVERY_DEFAULTS.attempts;
    const baseDelayMs = this.#options.baseDelayMs ?? DELIVERY_DEFAULTS.baseDelayMs;
    let problem = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await clock.sleep(baseDelayMs * 2 ** (attempt - 2));
      problem = await this.#send(sink, event);
      if (problem === '') return true;
      if (attempt < attempts) {
        logger.warn(
          { sink: sink.label, event: event.type, attempt, attempts, problem },
          'notification delivery failed; retrying',
        );
      }
    }
    logger.error(
      { sink: sink.label, event: event.type, attempts, problem },
      'notification not delivered; giving up (the execution is not affected)',
    );
    return false;
  }

  /** One HTTP attempt; '' when delivered, else what went wrong (never the URL). */
  async #send(sink: NotificationSink, event: NotificationEvent): Promise<string> {
    const doFetch = this.#options.fetch ?? globalThis.fetch;
    const timeoutMs = this.#options.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs;
    let url = sink.url;
    let body: string;
    if (sink.kind === 'dingtalk') {
      if (sink.secret !== undefined) {
        const timestamp = this.#options.clock.now();
        const signed = new URL(url);
        signed.searchParams.set('timestamp', String(timestamp));
        signed.searchParams.set('sign', dingTalkSignature(timestamp, sink.secret));
        url = signed.toString();
      }
      const { title, text } = renderNotificationMarkdown(event);
      body = JSON.stringify({ msgtype: 'markdown', markdown: { title, text } });
    } else {
      body = JSON.stringify(event);
    }
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) return `HTTP ${response.status}`;
      if (sink.kind === 'dingtalk') {
        const answer = safeJson(text) as { errcode?: unknown; errmsg?: unknown } | undefined;
        if (answer?.errcode !== 0) {
          return `DingTalk errcode ${String(answer?.errcode)}: ${String(answer?.errmsg).slice(0, 200)}`;
        }
      }
      return '';
    } catch (error) {
      // Node's fetch can put the URL in its messages: name only the error's kind and code.
      const cause = (error as { cause?: { code?: string } }).cause;
      return `${(error as Error).name}${cause?.code ? ` ${cause.code}` : ''}`;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A notifier for these sinks, or undefined when there are none. */
export function createNotifier(
  sinks: readonly NotificationSink[],
  clock: Clock,
  logger: Logger,
): HttpNotifier | undefined {
  return sinks.length === 0 ? undefined : new HttpNotifier({ sinks, clock, logger });
}
