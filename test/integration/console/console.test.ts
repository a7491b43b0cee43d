/**
 * The console over HTTP (no browser): the access token on every route, the CSRF token on decisions,
 * and a decision taken in the console leaving the same journal as the CLI's. Real CLI code, real SDKs,
 * the emulator.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleHandle } from '../../../src/cli/console/server';
import { startConsole } from '../../../src/cli/console/server';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { JournalEntry } from '../../../src/engine/index';
import { openExecutionStore } from '../../../src/store/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

let emulator: EmulatorHandle;
let state: string;
let console: ConsoleHandle;
let cookie: string;

/** A FailurePause execution over ten instances whose third fails: it pauses Waiting after batch 2. */
async function pausedExecution(first: number): Promise<string> {
  const ids = Array.from({ length: 10 }, (_, i) => fleetId(first + i));
  const result = await runCli([
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    DESIGNATED_ROLE,
    '--targets',
    JSON.stringify({ Type: 'ResourceIds', ResourceIds: ids }),
    '--rate-control',
    JSON.stringify({ Mode: 'Batch', Batch: [1, 4], MaxErrors: 0 }),
    '--mode',
    'FailurePause',
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(result.code).toBe(3);
  return result.json<{ executionId: string }>().executionId;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${console.origin}${path}`, { headers, redirect: 'manual' });
}

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${console.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/** The CSRF token of an execution page's decision form. */
async function csrfOf(executionId: string): Promise<string> {
  const page = await (await get(`/executions/${executionId}`, { cookie })).text();
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(token).toBeDefined();
  return token!;
}

/** The journal with what differs between two executions by construction taken out: times, ids by position. */
async function normalizedJournal(executionId: string, first: number): Promise<unknown[]> {
  const store = openExecutionStore(state);
  const journal = await store.loadJournal(executionId);
  return journal.map((entry: JournalEntry) => {
    const { at: _at, ...rest } = entry;
    return JSON.parse(
      JSON.stringify(rest).replace(/i-f(\d{5})/g, (_id, digits: string) => `#${Number(digits) - first}`),
    );
  });
}

beforeAll(async () => {
  useEmulatorCredentials();
  emulator = await startTestEmulator({
    fleet: cliFleet(60),
    // The third instance of each execution below fails: 0-9, 10-19, 20-29, 30-39, 40-49, 50-59.
    faults: {
      instanceErrors: Object.fromEntries(
        [2, 12, 22, 32, 42, 52].map((i) => [fleetId(i), 'InternalError.Forced']),
      ),
    },
  });
  state = tempState();
  console = await startConsole({ state, endpoint: emulator.endpoint, pollMs: 100 });
  const entry = await get(`/?token=${console.token}`);
  expect(entry.status).toBe(303);
  cookie = (entry.headers.get('set-cookie') ?? '').split(';')[0]!;
});

afterAll(async () => {
  await console.close();
  await emulator.close();
});

describe('ecs-role-attach console over HTTP', () => {
  it('listens on 127.0.0.1 only and refuses every route without the token (401)', async () => {
    expect(console.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(console.url).toBe(`${console.origin}/?token=${console.token}`);
    expect(console.token).toMatch(/^[0-9a-f]{64}$/);
    const id = await pausedExecution(0);
    const routes = [
      '/',
      '/?status=Waiting',
      '/compliance',
      `/executions/${id}`,
      '/assets/console.css',
      '/assets/console.js',
      '/nothing-here',
    ];
    for (const route of routes) {
      for (const headers of [
        {},
        { cookie: 'era-console-1=nope' },
        { authorization: 'Bearer nope' },
        { cookie: cookie.replace(/.$/, (last) => (last === '0' ? '1' : '0')) },
      ]) {
        const response = await get(route, headers);
        expect([route, response.status]).toEqual([route, 401]);
        expect(await response.text()).toMatch(/Access token needed/);
      }
      expect([route, (await get(`${route}${route.includes('?') ? '&' : '?'}token=wrong`)).status]).toEqual([
        route,
        401,
      ]);
    }
    const decision = await post(`/executions/${id}/decision`, { action: 'continue', csrf: await csrfOf(id) });
    expect(decision.status).toBe(401);
    // With it: the token moves into a cookie (303 without the token in the URL), then every page answers.
    const entry = await get(`/compliance?token=${console.token}`);
    expect(entry.status).toBe(303);
    expect(entry.headers.get('location')).toBe('/compliance');
    expect(entry.headers.get('set-cookie')).toMatch(
      /^era-console-\d+=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/,
    );
    for (const route of routes.slice(0, 6))
      expect([route, (await get(route, { cookie })).status]).toEqual([route, 200]);
    expect((await get('/', { authorization: `Bearer ${console.token}` })).status).toBe(200);
    expect((await get('/nothing-here', { cookie })).status).toBe(404);
    expect((await get(`/executions/${id}`, { cookie })).headers.get('content-security-policy')).toMatch(
      /default-src 'none'/,
    );
    expect((await get('/?status=Paused', { cookie })).status).toBe(400);
    expect(await (await get('/?status=Paused', { cookie })).text()).toMatch(
      /status must be one of .*Waiting.*, got &quot;Paused&quot;/,
    );
  });

  it('makes no change for a missing, forged, reused or cross-origin CSRF token', async () => {
    const id = await pausedExecution(10);
    const store = openExecutionStore(state);
    const before = await store.loadJournal(id);
    const valid = await csrfOf(id);
    const other = await pausedExecution(20);
    const [nonce, mac] = valid.split('.');
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ['missing', { action: 'continue' }, {}],
      ['empty', { action: 'continue', csrf: '' }, {}],
      [
        'forged mac',
        { action: 'continue', csrf: `${nonce}.${mac!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}` },
        {},
      ],
      ['another execution page', { action: 'continue', csrf: await csrfOf(other) }, {}],
      ['cross-origin', { action: 'continue', csrf: valid }, { origin: 'http://evil.example' }],
      ['cross-site fetch', { action: 'continue', csrf: valid }, { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [name, form, headers] of attempts) {
      const response = await post(`/executions/${id}/decision`, form, { cookie, ...headers });
      expect([name, response.status]).toEqual([name, 403]);
      expect(await response.text()).toMatch(/Nothing was changed/);
    }
    expect(await store.loadJournal(id)).toEqual(before);
    expect((await store.loadRecord(id)).status).toBe('Waiting');
    // The valid token still works once (the refused attempts did not use it up) and never twice.
    const accepted = await post(
      `/executions/${id}/decision`,
      { action: 'cancel', csrf: valid },
      { cookie, origin: console.origin },
    );
    expect(accepted.status).toBe(303);
    expect((await store.loadRecord(id)).status).toBe('Cancelled');
    const replay = await post(`/executions/${other}/decision`, { action: 'cancel', csrf: valid }, { cookie });
    expect(replay.status).toBe(403);
    expect((await store.loadRecord(other)).status).toBe('Waiting');
    const reused = await post(`/executions/${id}/decision`, { action: 'cancel', csrf: valid }, { cookie });
    expect(reused.status).toBe(403);
  });

  it('leaves the same journal after a console continue as after the CLI resume', async () => {
    const viaCli = await pausedExecution(30);
    const cli = await runCli([
      'resume',
      viaCli,
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    expect(cli.json()).toMatchObject({ status: 'Success', counts: { failed: 1, attached: 9 } });

    const viaConsole = await pausedExecution(40);
    const response = await post(
      `/executions/${viaConsole}/decision`,
      { action: 'continue', csrf: await csrfOf(viaConsole) },
      { cookie, origin: console.origin },
    );
    expect(response.status).toBe(303);
    const notice = await (await get(response.headers.get('location')!, { cookie })).text();
    expect(notice).toMatch(/continue recorded for .*; this console drives the execution on/);
    await console.idle();
    const store = openExecutionStore(state);
    expect((await store.loadRecord(viaConsole)).status).toBe('Success');
    expect(await normalizedJournal(viaConsole, 40)).toEqual(await normalizedJournal(viaCli, 30));
  });

  it('draws the first view from summary.json, and the same page from plan and journal without it', async () => {
    const id = await pausedExecution(50);
    const store = openExecutionStore(state);
    const record = await store.loadRecord(id);
    const summary = await store.loadSummary(id);
    expect(summary).toMatchObject({ updatedAt: record.updatedAt, status: 'Waiting' });
    /** The page as a console started now answers it (the CSRF token differs by design). */
    const firstView = async (query = ''): Promise<string> => {
      const fresh = await startConsole({ state });
      try {
        const response = await fetch(`${fresh.origin}/executions/${id}${query}`, {
          headers: { authorization: `Bearer ${fresh.token}` },
        });
        expect(response.status).toBe(200);
        return (await response.text()).replace(/name="csrf" value="[^"]+"/, 'name="csrf" value=""');
      } finally {
        await fresh.close();
      }
    };
    const fromSummary = await firstView();
    expect(fromSummary).toMatch(/InternalError\.Forced/);
    // The summary is what that first view read: a matching summary that says otherwise shows through,
    // while page 2 (which needs the whole execution) and a summary of another record do not.
    const marked = JSON.stringify(summary).replaceAll('InternalError.Forced', 'FromTheSummary');
    await store.saveSummary(JSON.parse(marked));
    expect(await firstView()).toMatch(/FromTheSummary/);
    expect(await firstView('?page=2')).not.toMatch(/FromTheSummary/);
    await store.saveSummary({ ...JSON.parse(marked), updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(await firstView()).toBe(fromSummary);
    // A store written before summaries existed.
    rmSync(join(state, 'executions', id, 'summary.json'));
    expect(await store.loadSummary(id)).toBeUndefined();
    expect(await firstView()).toBe(fromSummary);
  });
});
