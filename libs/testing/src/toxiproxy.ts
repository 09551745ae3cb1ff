/**
 * A client of Toxiproxy's HTTP API, for the links a fault run cuts, resets or slows and the
 * benchmark shapes: one proxy per link, listening on a free port of 127.0.0.1, removed when the
 * run ends.
 */
import { serviceEndpoint } from './endpoints.ts';

/** A toxic as Toxiproxy takes it (`latency`, `bandwidth`, `reset_peer`, `limit_data`, …). */
export interface Toxic {
  readonly name: string;
  readonly type: string;
  /** `upstream`: client to server; `downstream`: server to client. */
  readonly stream: 'upstream' | 'downstream';
  /** Share of connections it applies to, 0–1. @default 1 */
  readonly toxicity?: number;
  readonly attributes: Readonly<Record<string, number>>;
}

/** One proxied link. */
export class ToxicLink {
  readonly api: string;
  readonly name: string;
  /** `127.0.0.1:<port>` it listens on. */
  readonly listen: string;

  constructor(api: string, name: string, listen: string) {
    this.api = api;
    this.name = name;
    this.listen = listen;
  }

  async addToxic(toxic: Toxic): Promise<void> {
    await call(`${this.api}/proxies/${this.name}/toxics`, 'POST', { toxicity: 1, ...toxic });
  }

  async removeToxic(name: string): Promise<void> {
    await call(`${this.api}/proxies/${this.name}/toxics/${name}`, 'DELETE');
  }

  /** A disabled link refuses new connections and closes the open ones. */
  async setEnabled(enabled: boolean): Promise<void> {
    await call(`${this.api}/proxies/${this.name}`, 'POST', { enabled });
  }

  async remove(): Promise<void> {
    await call(`${this.api}/proxies/${this.name}`, 'DELETE');
  }
}

/** Creates a link named `name` to `upstream` (`host:port`), replacing one left by an earlier run. */
export async function createLink(name: string, upstream: string, env = process.env): Promise<ToxicLink> {
  const api = serviceEndpoint('toxiproxy', env).url;
  await call(`${api}/proxies/${name}`, 'DELETE').catch(() => undefined);
  const created = (await call(`${api}/proxies`, 'POST', {
    name,
    listen: '127.0.0.1:0',
    upstream,
    enabled: true,
  })) as { listen: string };
  return new ToxicLink(api, name, created.listen);
}

async function call(url: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Toxiproxy ${method} ${url} answered ${response.status}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
