/**
 * Notification sinks, as given to `--notify` (repeatable) or the functions' `NOTIFY` (comma- or
 * whitespace-separated): `webhook:https://...` or `dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...[&secret=...]`.
 * Plain `http://` only for loopback hosts (local receivers, tests). Error messages never repeat a URL
 * (it holds tokens); they name the sink by scheme and host.
 */
import { InvalidInputError } from '../engine/errors.js';

export type NotificationSink =
  | { kind: 'webhook'; url: string; label: string }
  /** `url` without `secret`; `secret` signs each message (never sent). */
  | { kind: 'dingtalk'; url: string; secret?: string; label: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Parses one sink; `field` names the flag or variable in errors. */
export function parseSink(value: string, field: string): NotificationSink {
  const separator = value.indexOf(':');
  const kind = separator === -1 ? '' : value.slice(0, separator);
  if (kind !== 'webhook' && kind !== 'dingtalk') {
    throw new InvalidInputError(
      field,
      'must be webhook:https://... or dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...',
      `${kind || value.slice(0, 12)}:…`,
    );
  }
  let url: URL;
  try {
    url = new URL(value.slice(separator + 1));
  } catch {
    throw new InvalidInputError(field, `must hold a URL after "${kind}:"`, `${kind}:…`);
  }
  const label = `${kind}:${url.host}`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InvalidInputError(field, 'must use https (http only for 127.0.0.1/localhost)', label);
  }
  if (kind === 'webhook') return { kind, url: url.toString(), label };
  if (!url.searchParams.get('access_token')) {
    throw new InvalidInputError(field, 'must carry access_token=... (the robot webhook address)', label);
  }
  const secret = url.searchParams.get('secret') ?? undefined;
  url.searchParams.delete('secret');
  return secret ? { kind, url: url.toString(), secret, label } : { kind, url: url.toString(), label };
}

/** Parses a list of sinks (flags, or NOTIFY split on commas and whitespace). */
export function parseSinks(values: readonly string[], field: string): NotificationSink[] {
  return values
    .flatMap((value) => value.split(/[\s,]+/))
    .filter((value) => value !== '')
    .map((value) => parseSink(value, field));
}
