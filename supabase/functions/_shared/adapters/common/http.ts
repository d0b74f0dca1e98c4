/**
 * The HTTP client factory every ERP adapter builds its transport with: one HttpClient on the connection's base
 * URL, with the adapter deps (clock, limiter, retry, timeout, jitter, events), the engine's abort signal, and the
 * per-account limits keyed `<erp>:<accountKey>`. What differs between ERPs is data handed in by each ERP's own
 * client.ts (`ErpHttpSpec`): the provider name, the limits, the response inspector, default headers, timeout and
 * retry defaults, and — for the OAuth ERPs — the token endpoint (`ErpOAuthSpec`).
 */
import {
  type AdapterDeps,
  type AuthProvider,
  type Clock,
  clockFor,
  HttpClient,
  type LimitPolicy,
  type LimitSpec,
  type ResponseInspector,
  type RetryPolicy,
} from '../../http/mod.ts';
import type { AdapterContext } from '../contract.ts';
import { OAuthTokenManager } from '../oauth.ts';

export interface ErpHttpSpec {
  /** HttpClient provider name (messages, error facts), e.g. 'tiny' for both Tiny APIs. */
  provider: string;
  /** Prefix of the per-account limiter key `<erp>:<accountKey>`, e.g. 'tiny_v3'. */
  erp: string;
  /** Per-account limits; absent = none on every request (Omie limits per method, request by request). */
  limits?: LimitPolicy;
  /** The ERP's response inspector, given the adapter's clock (for waits stated as a wall-clock time). */
  inspect: (now: () => number) => ResponseInspector;
  headers?: Record<string, string>;
  /** Per-attempt timeout when deps give none. Default 30 s. */
  timeoutMs?: number;
  /** Retry defaults under deps.retry. */
  retry?: Partial<RetryPolicy>;
}

export interface ErpHttp {
  http: HttpClient;
  clock: Clock;
}

function httpFor(
  ctx: AdapterContext,
  deps: AdapterDeps,
  spec: ErpHttpSpec,
  extra: { authUrl?: string; auth?: AuthProvider },
): ErpHttp {
  const clock = clockFor(ctx, deps);
  const http = new HttpClient({
    provider: spec.provider,
    baseUrl: ctx.baseUrl,
    authUrl: extra.authUrl,
    fetch: ctx.fetch,
    clock,
    limiter: deps.limiter,
    retry: spec.retry ? { ...spec.retry, ...deps.retry } : deps.retry,
    timeoutMs: deps.timeoutMs ?? spec.timeoutMs ?? 30_000,
    random: deps.random,
    onEvent: deps.onEvent,
    signal: ctx.signal,
    inspect: spec.inspect(() => clock.now()),
    headers: spec.headers,
    limits: spec.limits ? [{ key: `${spec.erp}:${ctx.accountKey}`, policy: spec.limits }] : [],
    auth: extra.auth,
  });
  return { http, clock };
}

/** An HttpClient for an ERP whose credentials go into each request by `auth` (Omie's keys, Tiny v2's token). */
export function createErpHttp(
  ctx: AdapterContext,
  deps: AdapterDeps,
  spec: ErpHttpSpec & { auth?: AuthProvider },
): ErpHttp {
  return httpFor(ctx, deps, spec, { auth: spec.auth });
}

export interface ErpOAuthSpec extends ErpHttpSpec {
  /** Token endpoint base when the connection names none (ctx.authUrl); absent = the API base URL. */
  defaultAuthUrl?: string;
  /** Token endpoint path relative to the auth URL. */
  tokenPath: string;
  /** How the OAuth client authenticates on the token endpoint. */
  clientAuth: 'basic' | 'body';
  /** Limits of the token endpoint itself. */
  tokenLimits?: LimitSpec[];
  /** Refresh this long before expiry (default: the token manager's). */
  refreshSkewMs?: number;
}

export interface ErpOAuthHttp extends ErpHttp {
  tokens: OAuthTokenManager;
}

/**
 * An HttpClient with Bearer auth from the shared OAuth token manager (adapters/oauth.ts). The manager calls the
 * token endpoint through the same client (`auth: false`, on authUrl) and the client takes its AuthProvider from
 * the manager: the two are bound through a late-initialised provider.
 */
export function createErpOAuthHttp(ctx: AdapterContext, deps: AdapterDeps, spec: ErpOAuthSpec): ErpOAuthHttp {
  let provider: AuthProvider | null = null;
  const { http, clock } = httpFor(ctx, deps, spec, {
    authUrl: ctx.authUrl ?? spec.defaultAuthUrl,
    auth: {
      apply: (req) => provider!.apply(req),
      onUnauthorized: () => provider!.onUnauthorized!(),
    },
  });
  const tokens = new OAuthTokenManager({
    provider: spec.provider,
    connectionId: ctx.connectionId,
    http,
    tokenPath: spec.tokenPath,
    client: ctx.oauthClient,
    clientAuth: spec.clientAuth,
    store: ctx.credentials,
    clock,
    skewMs: spec.refreshSkewMs,
    tokenLimits: spec.tokenLimits,
    inflight: deps.oauthInflight,
  });
  provider = tokens.authProvider();
  return { http, clock, tokens };
}
