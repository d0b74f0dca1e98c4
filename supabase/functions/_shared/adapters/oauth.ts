/**
 * OAuth2 refresh helper shared by Bling, Conta Azul and Tiny v3; each builds it through the kit (common/http.ts,
 * `createErpOAuthHttp`), which binds it to the ERP's HttpClient.
 *
 * Stored credentials (the connection's Vault JSON) for OAuth ERPs:
 *   { access_token, refresh_token, expires_at: ISO-8601, refresh_expires_at?: ISO-8601, scope?, ...others kept }
 *
 * Guarantees:
 * - refresh ahead of expiry (default skew 5 min);
 * - single-flight per connection in this process (one in-flight refresh per connectionId) AND across
 *   processes through `CredentialStore.withRefreshLock`; inside the lock the credentials are re-loaded, and if
 *   another worker already refreshed (the stored access token is fresh / differs from the one that failed)
 *   theirs is used: a rotating refresh token is never spent twice;
 * - the new pair is persisted with `store.save()` BEFORE the access token is used;
 * - token endpoint answers `invalid_grant` (revoked/expired grant) → AppError 'auth' OAUTH_INVALID_GRANT;
 *   `invalid_client` → 'config'; 429 → 'rate_limited'; 5xx/network → 'transient' (not retried here: a
 *   refresh whose answer was lost may already have rotated the token, the engine retries the sync later);
 * - client authentication: HTTP Basic (Bling, Conta Azul) or form body (Keycloak/Tiny v3);
 * - every token value is registered with registerSecret so no message can carry it.
 */
import { z } from 'zod';
import { registerSecret } from '../errors.ts';
import type { Credentials, CredentialStore } from './contract.ts';
import { fromSignal, type RequestFacts } from '../http/classify.ts';
import type { AuthProvider, HttpClient, InspectInput } from '../http/client.ts';
import type { ProviderSignal } from '../http/classify.ts';
import type { LimitSpec } from '../http/limiter.ts';
import type { Clock } from '../http/clock.ts';

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms. */
  expiresAt: number;
  refreshExpiresAt?: number;
  scope?: string;
}

export interface OAuthOptions {
  provider: string;
  connectionId: string;
  /** Must be built with the ERP's authUrl; the token endpoint goes through it (origin check, timeout). */
  http: HttpClient;
  /** Token endpoint path relative to authUrl, e.g. '/oauth/token'. */
  tokenPath: string;
  client?: { clientId: string; clientSecret: string };
  clientAuth?: 'basic' | 'body';
  store: CredentialStore;
  clock?: Clock;
  /** Refresh when the access token expires within this many ms. Default 5 min. */
  skewMs?: number;
  /** Limits for the token endpoint (e.g. Bling: 20 calls / 60 s per IP). */
  tokenLimits?: LimitSpec[];
  /** Extra headers on token requests (e.g. Bling `enable-jwt: 1`). */
  tokenHeaders?: Record<string, string>;
  /** In-process single-flight registry; default is module-wide. Tests pass one per simulated process. */
  inflight?: Map<string, Promise<unknown>>;
}

const StoredSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_at: z.union([z.string(), z.number()]),
  refresh_expires_at: z.union([z.string(), z.number()]).optional(),
  scope: z.string().optional(),
});

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  refresh_token: z.string().min(1).optional(),
  refresh_expires_in: z.coerce.number().nonnegative().optional(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
});

const moduleInflight = new Map<string, Promise<OAuthTokens>>();

function toMs(v: string | number): number {
  return typeof v === 'number' ? v : Date.parse(v);
}

/** Reads OAuth tokens from stored credentials; null when absent or unreadable. */
export function readOAuthCredentials(c: Credentials | null | undefined): OAuthTokens | null {
  const parsed = StoredSchema.safeParse(c ?? {});
  if (!parsed.success) return null;
  const p = parsed.data;
  const expiresAt = toMs(p.expires_at);
  if (Number.isNaN(expiresAt)) return null;
  registerSecret(p.access_token);
  registerSecret(p.refresh_token);
  return {
    accessToken: p.access_token,
    refreshToken: p.refresh_token,
    expiresAt,
    refreshExpiresAt: p.refresh_expires_at !== undefined ? toMs(p.refresh_expires_at) : undefined,
    scope: p.scope,
  };
}

/** Writes tokens back into the credential JSON, keeping unrelated keys. */
export function writeOAuthCredentials(t: OAuthTokens, previous: Credentials = {}): Credentials {
  const out: Credentials = {
    ...previous,
    access_token: t.accessToken,
    refresh_token: t.refreshToken,
    expires_at: new Date(t.expiresAt).toISOString(),
  };
  if (t.refreshExpiresAt !== undefined) out.refresh_expires_at = new Date(t.refreshExpiresAt).toISOString();
  else delete out.refresh_expires_at;
  if (t.scope !== undefined) out.scope = t.scope;
  return out;
}

/** OAuth error bodies: RFC 6749 `{error, error_description}` or Bling's `{error:{type,message}}`. */
export function oauthTokenInspector(r: InspectInput): ProviderSignal | undefined {
  if (r.status < 400) return undefined;
  const body = r.json() as { error?: unknown; error_description?: unknown } | undefined;
  let code: string | undefined;
  let detail: string | undefined;
  if (body && typeof body.error === 'string') {
    code = body.error;
    detail = typeof body.error_description === 'string' ? body.error_description : undefined;
  } else if (body && body.error && typeof body.error === 'object') {
    const e = body.error as { type?: unknown; message?: unknown; description?: unknown };
    code = typeof e.type === 'string' ? e.type : undefined;
    detail = typeof e.description === 'string'
      ? e.description
      : typeof e.message === 'string'
      ? e.message
      : undefined;
  }
  if (r.status === 429 || r.status >= 500) return undefined; // default rules: rate_limited / transient
  const c = (code ?? '').toLowerCase();
  if (c === 'invalid_client') return { signal: 'config', code: 'OAUTH_INVALID_CLIENT', detail };
  if (c === 'invalid_grant' || c === 'invalid_refresh_token' || c === 'invalid_token') {
    return { signal: 'auth', code: 'OAUTH_INVALID_GRANT', detail: detail ?? 'grant revoked or expired' };
  }
  // Any other refusal of a refresh (unauthorized_client, access_denied, inactive account...) needs the user.
  return {
    signal: 'auth',
    code: 'OAUTH_REFRESH_REJECTED',
    detail: code ? `${code}${detail ? `: ${detail}` : ''}` : detail,
  };
}

export class OAuthTokenManager {
  private cached: OAuthTokens | null = null;
  private readonly opts: OAuthOptions;
  private readonly inflight: Map<string, Promise<OAuthTokens>>;
  private readonly skewMs: number;
  /** Number of token endpoint calls made by this manager (tests/metrics). */
  refreshCalls = 0;

  constructor(opts: OAuthOptions) {
    this.opts = opts;
    this.inflight = (opts.inflight as Map<string, Promise<OAuthTokens>> | undefined) ?? moduleInflight;
    this.skewMs = opts.skewMs ?? 5 * 60_000;
    if (opts.client) registerSecret(opts.client.clientSecret);
  }

  private now(): number {
    return (this.opts.clock ?? this.opts.http.clock).now();
  }

  private fresh(t: OAuthTokens | null): t is OAuthTokens {
    return t !== null && t.expiresAt - this.skewMs > this.now();
  }

  private facts(): RequestFacts {
    return { provider: this.opts.provider, method: 'POST', path: this.opts.tokenPath };
  }

  /** A valid access token, refreshing first when it is missing or about to expire. */
  async getAccessToken(): Promise<string> {
    if (this.fresh(this.cached)) return this.cached.accessToken;
    const stored = readOAuthCredentials(await this.opts.store.load());
    if (this.fresh(stored)) {
      this.cached = stored;
      return stored.accessToken;
    }
    return (await this.refresh(undefined)).accessToken;
  }

  /**
   * After a 401 with `failedToken`: refresh unless someone else already did (then use theirs).
   * Returns the new access token.
   */
  async forceRefresh(failedToken?: string): Promise<string> {
    this.cached = null;
    return (await this.refresh(failedToken ?? null)).accessToken;
  }

  /** AuthProvider for the HttpClient: Bearer header + one forced refresh after a 401. */
  authProvider(): AuthProvider {
    let lastUsed: string | undefined;
    return {
      apply: async ({ headers }) => {
        lastUsed = await this.getAccessToken();
        headers.set('authorization', `Bearer ${lastUsed}`);
      },
      onUnauthorized: async () => {
        await this.forceRefresh(lastUsed);
        return true;
      },
    };
  }

  /**
   * failedToken: undefined = refresh only if expiring; null/string = refresh unless the stored token is fresh and
   * differs from the one that failed.
   */
  private refresh(failedToken: string | null | undefined): Promise<OAuthTokens> {
    const key = `${this.opts.provider}:${this.opts.connectionId}`;
    const running = this.inflight.get(key);
    if (running) return running.then((t) => (this.cached = t));
    const p = this.opts.store.withRefreshLock(async () => {
      const current = await this.opts.store.load();
      const stored = readOAuthCredentials(current);
      const someoneElseRefreshed = stored !== null && this.fresh(stored) &&
        (failedToken === undefined || (failedToken !== null && stored.accessToken !== failedToken));
      if (someoneElseRefreshed) return stored;
      if (!stored) {
        throw fromSignal(
          { signal: 'auth', code: 'OAUTH_NO_CREDENTIALS', detail: 'no stored refresh token' },
          this.facts(),
        );
      }
      const next = await this.callTokenEndpoint(stored);
      await this.persist(writeOAuthCredentials(next, current));
      return next;
    });
    this.inflight.set(key, p);
    const done = () => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    };
    p.then(done, done);
    return p.then((t) => (this.cached = t));
  }

  private async persist(creds: Credentials): Promise<void> {
    let lastError: unknown;
    for (let i = 0; i < 3; i++) {
      try {
        await this.opts.store.save(creds);
        return;
      } catch (e) {
        lastError = e;
        await this.opts.http.clock.sleep(200 * (i + 1));
      }
    }
    throw lastError;
  }

  private async callTokenEndpoint(stored: OAuthTokens): Promise<OAuthTokens> {
    const client = this.opts.client;
    if (!client) {
      throw fromSignal({
        signal: 'config',
        code: 'OAUTH_CLIENT_MISSING',
        detail: 'OAuth client id/secret not configured',
      }, this.facts());
    }
    const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: stored.refreshToken };
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.tokenHeaders };
    if ((this.opts.clientAuth ?? 'basic') === 'basic') {
      headers.authorization = `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`;
    } else {
      form.client_id = client.clientId;
      form.client_secret = client.clientSecret;
    }
    this.refreshCalls++;
    const startedAt = this.now();
    const res = await this.opts.http.request({
      method: 'POST',
      base: 'auth',
      path: this.opts.tokenPath,
      form,
      headers,
      auth: false,
      limits: this.opts.tokenLimits ?? [],
      // Only a refusal the server states before consuming the token (429) is retried.
      retry: { retryOn: ['rate_limited'], maxAttempts: 2 },
      inspect: oauthTokenInspector,
    });
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    const parsed = TokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw fromSignal(
        {
          signal: 'transient',
          code: 'OAUTH_BAD_RESPONSE',
          detail: 'token response without access_token/expires_in',
        },
        this.facts(),
        res.status,
      );
    }
    const t = parsed.data;
    registerSecret(t.access_token);
    registerSecret(t.refresh_token);
    return {
      accessToken: t.access_token,
      // Without a new refresh token the old one stays valid (non-rotating servers).
      refreshToken: t.refresh_token ?? stored.refreshToken,
      expiresAt: startedAt + t.expires_in * 1000,
      refreshExpiresAt: t.refresh_expires_in
        ? startedAt + t.refresh_expires_in * 1000
        : stored.refreshExpiresAt,
      scope: t.scope ?? stored.scope,
    };
  }
}
