/**
 * `ecs-role-attach console`: a local web server over an execution store, on 127.0.0.1 only.
 *
 * Access: a random token (256 bits) is printed in the console's URL, as notebook servers do. Every request
 * must present it (the URL's `?token=`, then an HttpOnly SameSite=Strict cookie set from it, or an
 * `Authorization: Bearer` header); anything else is answered 401, whatever the route.
 *
 * Decisions: every page that offers continue / retry / cancel carries a CSRF token made for that page
 * (HMAC of a random nonce and the execution, under a per-process secret, good once). A POST without a
 * valid one, or from another origin, is refused (403) before anything is read or written. A valid one
 * calls {@link takeDecision}, the function behind the CLI's resume / retry / cancel.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EXECUTION_STATUSES,
  ExecutionNotFoundError,
  type ExecutionStatus,
  InvalidInputError,
  OPERATOR_ACTIONS,
  type OperatorAction,
  OUTCOMES,
  RoleAttachError,
  TERMINAL_STATUSES,
} from '../../engine/index.js';
import type { ObjectExecutionStore } from '../../store/index.js';
import { type DecisionOptions, takeDecision } from '../decisions.js';
import { cliOwner, openStore } from '../deps.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import {
  ACCEPTED_ROLE,
  ExecutionViews,
  type InstanceQuery,
  type InstanceRow,
  type OutcomeFilter,
} from './executionViews.js';
import {
  compliancePage,
  errorPage,
  executionPage,
  executionsPage,
  type Frame,
  layout,
  unauthorizedPage,
} from './pages.js';

/** Defaults of the console, in one place. */
export const CONSOLE_DEFAULTS = {
  /** @default 0: a free port chosen by the system */
  port: 0,
  /** @default 2000 ms between refreshes of a page that is still changing */
  pollMs: 2_000,
  /** @default 100 rows per page of an instance table */
  pageSize: 100,
  /** @default 4096 bytes: the largest form body accepted */
  maxBodyBytes: 4_096,
  /** @default 10000 used CSRF nonces remembered (older ones are forgotten first) */
  usedNonces: 10_000,
} as const;

export interface ConsoleOptions extends DecisionOptions {
  /** The execution store: a directory or oss://bucket/prefix. */
  state: string;
  /** @default {@link CONSOLE_DEFAULTS}.port */
  port?: number;
  /** @default {@link CONSOLE_DEFAULTS}.pollMs */
  pollMs?: number;
  /** Where lines about decisions and background runs go (e.g. stderr). */
  log?: (line: string) => void;
}

export interface ConsoleHandle {
  /** The URL to open, token included. */
  url: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  token: string;
  /** Resolves when no execution is being driven, nor read in the background, by this console. */
  idle(): Promise<void>;
  /** Stops listening and waits for the executions it drives to stop at their next pause or end. */
  close(): Promise<void>;
}

type Answer = { status: number; body: string; type?: string; headers?: Record<string, string> };

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a form POST carries `Origin: null`.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** Starts the console; see the module comment for how access and decisions are guarded. */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleHandle> {
  const store = openStore(options);
  const console = new ConsoleApp(store, options);
  const server = createServer((request, response) => {
    console.handle(request, response).catch((error: unknown) => {
      options.log?.(`console: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent)
        send(response, {
          status: 500,
          body: 'Internal error; see the console output.\n',
          type: 'text/plain',
        });
      else response.end();
    });
  });
  await listen(server, options.port ?? CONSOLE_DEFAULTS.port);
  const port = (server.address() as AddressInfo).port;
  console.bind(port);
  return {
    url: `${console.origin}/?token=${console.token}`,
    origin: console.origin,
    port,
    token: console.token,
    idle: () => console.idle(),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await console.idle();
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {
    ...SECURITY_HEADERS,
    'content-type': answer.type ?? 'text/html; charset=utf-8',
    ...answer.headers,
  });
  response.end(answer.body);
}

class ConsoleApp {
  public readonly token = randomBytes(32).toString('hex');
  public origin = '';
  private cookieName = '';
  private readonly secret = randomBytes(32);
  private readonly usedNonces = new Set<string>();
  private readonly views: ExecutionViews;
  /** Executions this console drives after a decision taken here, and how that ended if it failed. */
  private readonly drives = new Map<string, Promise<void>>();
  private readonly notices = new Map<string, { text: string; kind: 'info' | 'error' }>();

  public constructor(
    private readonly store: ObjectExecutionStore,
    private readonly options: ConsoleOptions,
  ) {
    this.views = new ExecutionViews(store);
  }

  public bind(port: number): void {
    this.origin = `http://127.0.0.1:${port}`;
    // Cookies are per host, not per port: one name per console, so that two consoles do not clash.
    this.cookieName = `era-console-${port}`;
  }

  public async idle(): Promise<void> {
    while (this.drives.size > 0) await Promise.allSettled([...this.drives.values()]);
    await this.views.loaded();
  }

  public async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    if (!this.authorized(request, url)) {
      send(response, {
        status: 401,
        body: unauthorizedPage(),
        headers: { 'www-authenticate': 'Bearer realm="ecs-role-attach console"' },
      });
      request.resume();
      return;
    }
    if (url.searchParams.has('token')) {
      // Keep the token out of the address bar and history: a cookie carries it from here on.
      url.searchParams.delete('token');
      send(response, {
        status: 303,
        body: '',
        headers: {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
        },
      });
      request.resume();
      return;
    }
    send(response, await this.route(request, url));
  }

  private authorized(request: IncomingMessage, url: URL): boolean {
    const presented =
      url.searchParams.get('token') ??
      cookie(request.headers.cookie, this.cookieName) ??
      /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    return presented !== undefined && sameSecret(presented, this.token);
  }

  private async route(request: IncomingMessage, url: URL): Promise<Answer> {
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const decision = /^\/executions\/([^/]+)\/decision$/.exec(path);
    if (decision) {
      if (method !== 'POST') return this.methodNotAllowed('POST');
      return this.decide(request, decodeURIComponent(decision[1] ?? ''));
    }
    request.resume();
    if (method !== 'GET' && method !== 'HEAD') return this.methodNotAllowed('GET');
    if (path === '/assets/console.css')
      return { status: 200, body: CONSOLE_CSS, type: 'text/css; charset=utf-8' };
    if (path === '/assets/console.js')
      return { status: 200, body: CONSOLE_JS, type: 'text/javascript; charset=utf-8' };
    try {
      if (path === '/') return await this.executions(url);
      if (path === '/compliance') return await this.compliance(url);
      const execution = /^\/executions\/([^/]+)$/.exec(path);
      if (execution) return await this.execution(decodeURIComponent(execution[1] ?? ''), url);
    } catch (error) {
      if (error instanceof InvalidInputError) return this.error(400, 'Bad request', error.message);
      if (error instanceof ExecutionNotFoundError || error instanceof RangeError) {
        return this.error(
          404,
          'Not found',
          error instanceof ExecutionNotFoundError ? error.message : 'No such execution.',
        );
      }
      throw error;
    }
    return this.error(404, 'Not found', `Nothing at ${path}.`);
  }

  private frame(title: string, section: Frame['section'], pollMs: number, notice?: Frame['notice']): Frame {
    return { title, section, location: this.store.location, pollMs, ...(notice ? { notice } : {}) };
  }

  private error(status: number, heading: string, text: string): Answer {
    return { status, body: errorPage(this.frame(heading, 'executions', 0), heading, text) };
  }

  private methodNotAllowed(allow: string): Answer {
    return { ...this.error(405, 'Method not allowed', `Use ${allow} here.`), headers: { allow } };
  }

  private pollMs(): number {
    return this.options.pollMs ?? CONSOLE_DEFAULTS.pollMs;
  }

  private async executions(url: URL): Promise<Answer> {
    const status = oneOf(url, 'status', EXECUTION_STATUSES) as ExecutionStatus | undefined;
    const all = await this.store.list();
    const records = status ? all.filter((r) => r.status === status) : all;
    const live = all.some((r) => !TERMINAL_STATUSES.includes(r.status) && r.status !== 'Planned');
    return {
      status: 200,
      body: layout(
        this.frame('Executions', 'executions', live ? this.pollMs() : this.pollMs() * 5),
        executionsPage(records, status),
      ),
    };
  }

  private async execution(executionId: string, url: URL): Promise<Answer> {
    const query: InstanceQuery = {
      page: positiveInteger(url, 'page') ?? 1,
      pageSize: CONSOLE_DEFAULTS.pageSize,
    };
    const outcome = oneOf(url, 'outcome', ['Pending', ...OUTCOMES]) as OutcomeFilter | undefined;
    if (outcome) query.outcome = outcome;
    const detail = url.searchParams.get('detail');
    if (detail) query.detail = detail;
    const search = url.searchParams.get('q');
    if (search) query.search = search.slice(0, 200);
    const view = await this.views.page(executionId, query);
    const driving = this.drives.has(executionId);
    const live = driving || !TERMINAL_STATUSES.includes(view.record.status);
    const flash = url.searchParams.get('flash');
    const notice = (flash && this.notices.get(flash)) || this.notices.get(`drive:${executionId}`);
    return {
      status: 200,
      body: layout(
        this.frame(`Execution ${executionId}`, 'executions', live ? this.pollMs() : 0, notice),
        executionPage({
          record: view.record,
          summary: view.summary(),
          page: view.instances(query),
          query,
          csrf: this.issueCsrf(executionId),
          driving,
        }),
      ),
    };
  }

  private async compliance(url: URL): Promise<Answer> {
    const page = positiveInteger(url, 'page') ?? 1;
    const sweeps = (await this.store.list()).filter((r) => r.origin === 'sweep').reverse();
    const regions = new Map<
      string,
      {
        regionId: string;
        role: string;
        sweeps: { record: (typeof sweeps)[number]; evaluated: number; compliantAfter: number }[];
      }
    >();
    for (const record of sweeps) {
      const key = `${record.parameters.regionId}\n${record.parameters.ramRoleName}`;
      let region = regions.get(key);
      if (!region) {
        region = {
          regionId: record.parameters.regionId,
          role: record.parameters.rules ? 'role rules' : record.parameters.ramRoleName,
          sweeps: [],
        };
        regions.set(key, region);
      }
      const c = record.counts;
      // As the sweep reports it (engine complianceOf): compliant after = already attached + attached now,
      // and with role rules the instances bearing an accepted role (skipped with AcceptedRole).
      const accepted = record.parameters.rules
        ? ((await this.views.summaryOf(record.executionId)).skipped.find((g) => g.key === ACCEPTED_ROLE)
            ?.count ?? 0)
        : 0;
      region.sweeps.push({
        record,
        evaluated: c.total,
        compliantAfter: c.alreadyAttached + c.attached + c.replaced + accepted,
      });
    }
    const ordered = [...regions.values()].sort(
      (a, b) => a.regionId.localeCompare(b.regionId) || a.role.localeCompare(b.role),
    );
    const nonCompliant: { regionId: string; executionId: string; row: InstanceRow }[] = [];
    for (const region of ordered) {
      const latest = region.sweeps.at(-1);
      if (!latest) continue;
      const view = await this.views.get(latest.record.executionId);
      for (const row of view.nonCompliant())
        nonCompliant.push({ regionId: region.regionId, executionId: latest.record.executionId, row });
    }
    const size = CONSOLE_DEFAULTS.pageSize;
    const pages = Math.max(1, Math.ceil(nonCompliant.length / size));
    const current = Math.min(page, pages);
    const live = sweeps.some((r) => !TERMINAL_STATUSES.includes(r.status));
    return {
      status: 200,
      body: layout(
        this.frame('Compliance', 'compliance', live ? this.pollMs() : this.pollMs() * 5),
        compliancePage({
          regions: ordered,
          nonCompliant: nonCompliant.slice((current - 1) * size, current * size),
          nonCompliantTotal: nonCompliant.length,
          page: current,
          pages,
          pageSize: size,
        }),
      ),
    };
  }

  /** A CSRF token for the decision form of one execution's page. */
  private issueCsrf(executionId: string): string {
    const nonce = randomBytes(16).toString('base64url');
    return `${nonce}.${this.mac(executionId, nonce)}`;
  }

  private mac(executionId: string, nonce: string): string {
    return createHmac('sha256', this.secret).update(`decision\n${executionId}\n${nonce}`).digest('base64url');
  }

  /** Whether `token` was issued by this console for this execution's page and not used before. */
  private acceptCsrf(executionId: string, token: string | undefined): boolean {
    const [nonce, mac, ...rest] = (token ?? '').split('.');
    if (!nonce || !mac || rest.length > 0 || !sameSecret(mac, this.mac(executionId, nonce))) return false;
    if (this.usedNonces.has(nonce)) return false;
    this.usedNonces.add(nonce);
    if (this.usedNonces.size > CONSOLE_DEFAULTS.usedNonces) {
      const oldest = this.usedNonces.values().next().value;
      if (oldest !== undefined) this.usedNonces.delete(oldest);
    }
    return true;
  }

  private async decide(request: IncomingMessage, executionId: string): Promise<Answer> {
    const refuse = (text: string): Answer => this.error(403, 'Refused', `${text} Nothing was changed.`);
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return refuse('A decision must come from a console page.');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin)
      return refuse(`A decision must come from ${this.origin}, not ${origin}.`);
    const form = await readForm(request);
    if (form === undefined)
      return this.error(
        413,
        'Too large',
        'The form is larger than a decision form can be. Nothing was changed.',
      );
    if (!this.acceptCsrf(executionId, form.get('csrf') ?? undefined)) {
      return refuse(
        'The form is missing its CSRF token, was forged, or was already used: reload the execution page and decide again.',
      );
    }
    const action = form.get('action');
    if (!action || !(OPERATOR_ACTIONS as readonly string[]).includes(action)) {
      return this.error(
        400,
        'Bad request',
        `action must be one of ${OPERATOR_ACTIONS.join(', ')}, got ${JSON.stringify(action)}. Nothing was changed.`,
      );
    }
    return this.takeDecision(executionId, action as OperatorAction);
  }

  private async takeDecision(executionId: string, action: OperatorAction): Promise<Answer> {
    const flash = randomBytes(8).toString('hex');
    const back = (): Answer => ({
      status: 303,
      body: '',
      headers: { location: `/executions/${encodeURIComponent(executionId)}?flash=${flash}` },
    });
    const owner = cliOwner();
    let decision: Awaited<ReturnType<typeof takeDecision>>;
    try {
      decision = await takeDecision(executionId, action, { ...this.options, owner });
    } catch (error) {
      if (!(error instanceof RoleAttachError)) throw error;
      this.remember(flash, { text: error.message, kind: 'error' });
      return back();
    }
    const label = `${action} recorded for ${executionId}`;
    this.remember(flash, {
      text:
        decision.notice ??
        `${label}; the execution is ${decision.report.status}${decision.report.statusReason ? ` (${decision.report.statusReason})` : ''}.`,
      kind: 'info',
    });
    this.options.log?.(`console: ${decision.notice ?? label}`);
    const { drive } = decision;
    if (drive && !this.drives.has(executionId)) {
      this.notices.delete(`drive:${executionId}`);
      this.remember(flash, {
        text: `${decision.notice ?? label}; this console drives the execution on.`,
        kind: 'info',
      });
      const running = drive()
        .then((report) => this.options.log?.(`console: ${executionId} is ${report.status}`))
        .catch((error: unknown) => {
          const text = `driving ${executionId} stopped: ${error instanceof Error ? error.message : String(error)}`;
          this.notices.set(`drive:${executionId}`, { text, kind: 'error' });
          this.options.log?.(`console: ${text}`);
        })
        .finally(() => this.drives.delete(executionId));
      this.drives.set(executionId, running);
    }
    return back();
  }

  private remember(key: string, notice: { text: string; kind: 'info' | 'error' }): void {
    this.notices.set(key, notice);
    // A few hundred decisions' notices at most.
    if (this.notices.size > 500) {
      const oldest = this.notices.keys().next().value;
      if (oldest !== undefined) this.notices.delete(oldest);
    }
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Constant-time comparison of two secrets (different lengths differ at once; the length is not secret). */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The form body of a POST, or undefined when it is larger than {@link CONSOLE_DEFAULTS}.maxBodyBytes. */
async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > CONSOLE_DEFAULTS.maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function oneOf(url: URL, name: string, allowed: readonly string[]): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  if (!allowed.includes(value))
    throw new InvalidInputError(name, `must be one of ${allowed.join(', ')}`, value);
  return value;
}

function positiveInteger(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidInputError(name, 'must be a positive integer', value);
  return Number(value);
}
