/**
 * Token lifecycle for the simulators: OAuth2 (authorization codes, access tokens with expiry, rotating refresh
 * tokens, revocation) and static API tokens/keys (Tiny v2, Omie). Token values are deterministic per
 * (seed, account, generation) so a seeded run hands out the same credentials.
 *
 * Persistence: when the simulators run as a service of the local stack, `persistSimulatorState(dir)` (called
 * by serve.ts with `$STACK_DIR/simulators`) makes every token store and account registry keep its state in a
 * JSON file there, written (atomically) in the same tick as the change, before the answer leaves: after
 * `npm run stack -- down` and `up` the simulators still honour the tokens they issued, which Vault keeps.
 * Without it (tests, the benchmark) everything stays in memory.
 */
import type { Clock } from '../../../supabase/functions/_shared/http/clock.ts';
import { hex, rngFor } from './prng.ts';

let stateDir: string | null = null;

/** Where the simulators keep their state from now on (null = in memory only). */
export function persistSimulatorState(dir: string | null): void {
  stateDir = dir;
  if (dir) Deno.mkdirSync(dir, { recursive: true });
}

/** One store's JSON file under the state folder: read once at start, rewritten once per tick of changes. */
export class StateFile<T> {
  private pending = false;
  private constructor(private readonly path: string, private readonly snapshot: () => T) {}

  /** The store's file and what it held, or null when state is not persisted. */
  static open<T>(name: string, snapshot: () => T): { file: StateFile<T>; saved: T | null } | null {
    if (!stateDir) return null;
    const path = `${stateDir}/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
    let saved: T | null = null;
    try {
      saved = JSON.parse(Deno.readTextFileSync(path)) as T;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) console.error(`simulators: ignoring unreadable state ${path}: ${e}`);
    }
    return { file: new StateFile(path, snapshot), saved };
  }

  changed(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      const tmp = `${this.path}.tmp`;
      Deno.writeTextFileSync(tmp, JSON.stringify(this.snapshot()));
      Deno.renameSync(tmp, this.path);
    });
  }
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
  token_type: 'Bearer';
  scope?: string;
}

interface AccessRec {
  accountId: string;
  expiresAt: number;
  grant: number;
}
interface RefreshRec {
  accountId: string;
  expiresAt: number;
  grant: number;
  used: boolean;
}
interface CodeRec {
  accountId: string;
  expiresAt: number;
  used: boolean;
  grant: number;
}

export type AccessCheck = { ok: true; accountId: string } | {
  ok: false;
  reason: 'invalid' | 'expired' | 'revoked';
};
export type RefreshResult =
  | { ok: true; accountId: string; pair: TokenPair }
  | { ok: false; error: 'invalid_grant'; description: string };

export interface OAuthServerOptions {
  clock: Clock;
  seed: number;
  /** Token prefix, e.g. 'bling'. */
  prefix: string;
  accessTtlSeconds: () => number;
  refreshTtlSeconds: number;
  /** Each refresh returns a new refresh token and invalidates the old one. */
  rotate: boolean;
  /** Authorization code lifetime (Bling: 60 s). */
  codeTtlSeconds?: number;
  scope?: string;
}

interface OAuthSnapshot {
  access: Array<[string, AccessRec]>;
  refreshes: Array<[string, RefreshRec]>;
  codes: Array<[string, CodeRec]>;
  grants: Array<[string, { gen: number; revoked: boolean; counter: number; latest?: TokenPair }]>;
}

export class OAuthServer {
  private readonly access = new Map<string, AccessRec>();
  private readonly refreshes = new Map<string, RefreshRec>();
  private readonly codes = new Map<string, CodeRec>();
  /** Current grant generation per account; revocation bumps it (everything older dies). */
  private readonly grants = new Map<
    string,
    { gen: number; revoked: boolean; counter: number; latest?: TokenPair }
  >();

  private readonly state: StateFile<OAuthSnapshot> | null = null;

  constructor(private readonly o: OAuthServerOptions) {
    // Only what can still be presented is kept (the file stays the size of the live tokens).
    // (Expired access tokens are kept a day, so they are still answered as expired rather than unknown.)
    const live = <R extends { expiresAt: number; used?: boolean }>(m: Map<string, R>, graceMs = 0) => {
      const now = this.o.clock.now();
      return [...m].filter(([, r]) => !r.used && r.expiresAt > now - graceMs);
    };
    const opened = StateFile.open<OAuthSnapshot>(`oauth-${o.prefix}`, () => ({
      access: live(this.access, 86_400_000),
      refreshes: live(this.refreshes),
      codes: live(this.codes),
      grants: [...this.grants],
    }));
    if (opened) {
      this.state = opened.file;
      const s = opened.saved;
      if (s) {
        for (const [k, v] of s.access) this.access.set(k, v);
        for (const [k, v] of s.refreshes) this.refreshes.set(k, v);
        for (const [k, v] of s.codes) this.codes.set(k, v);
        for (const [k, v] of s.grants) this.grants.set(k, v);
      }
    }
  }

  private changed(): void {
    this.state?.changed();
  }

  private grant(accountId: string) {
    let g = this.grants.get(accountId);
    if (!g) {
      g = { gen: 1, revoked: false, counter: 0 };
      this.grants.set(accountId, g);
    }
    return g;
  }

  private token(accountId: string, kind: string): string {
    const g = this.grant(accountId);
    g.counter++;
    this.changed();
    return `${this.o.prefix}_${kind}_${
      hex(rngFor(this.o.seed, this.o.prefix, accountId, kind, g.gen, g.counter), 20)
    }`;
  }

  /** Issues a fresh pair for an account (provisioning / code exchange). Re-activates a revoked account. */
  issue(accountId: string): TokenPair {
    const g = this.grant(accountId);
    if (g.revoked) {
      g.revoked = false;
      g.gen++;
    }
    const now = this.o.clock.now();
    const ttl = this.o.accessTtlSeconds();
    const pair: TokenPair = {
      access_token: this.token(accountId, 'at'),
      refresh_token: this.token(accountId, 'rt'),
      expires_in: ttl,
      refresh_expires_in: this.o.refreshTtlSeconds,
      token_type: 'Bearer',
      ...(this.o.scope ? { scope: this.o.scope } : {}),
    };
    this.access.set(pair.access_token, { accountId, expiresAt: now + ttl * 1000, grant: g.gen });
    this.refreshes.set(pair.refresh_token, {
      accountId,
      expiresAt: now + this.o.refreshTtlSeconds * 1000,
      grant: g.gen,
      used: false,
    });
    g.latest = pair;
    return pair;
  }

  /** The latest pair issued to the account (what a re-provision returns), issuing one if none / revoked. */
  current(accountId: string): TokenPair {
    const g = this.grant(accountId);
    if (!g.latest || g.revoked) return this.issue(accountId);
    return g.latest;
  }

  /** When the latest access token of an account expires (ms epoch). */
  latestExpiry(accountId: string): number | undefined {
    const t = this.grants.get(accountId)?.latest?.access_token;
    return t ? this.access.get(t)?.expiresAt : undefined;
  }

  checkAccess(token: string | null): AccessCheck {
    if (!token) return { ok: false, reason: 'invalid' };
    const rec = this.access.get(token);
    if (!rec) return { ok: false, reason: 'invalid' };
    const g = this.grant(rec.accountId);
    if (g.revoked || rec.grant !== g.gen) return { ok: false, reason: 'revoked' };
    if (rec.expiresAt <= this.o.clock.now()) return { ok: false, reason: 'expired' };
    return { ok: true, accountId: rec.accountId };
  }

  refresh(refreshToken: string | null): RefreshResult {
    const rec = refreshToken ? this.refreshes.get(refreshToken) : undefined;
    if (!rec) return { ok: false, error: 'invalid_grant', description: 'Invalid refresh token' };
    const g = this.grant(rec.accountId);
    if (g.revoked || rec.grant !== g.gen) {
      return { ok: false, error: 'invalid_grant', description: 'The refresh token was revoked' };
    }
    if (rec.used) {
      return { ok: false, error: 'invalid_grant', description: 'The refresh token was already used' };
    }
    if (rec.expiresAt <= this.o.clock.now()) {
      return { ok: false, error: 'invalid_grant', description: 'The refresh token has expired' };
    }
    if (this.o.rotate) {
      rec.used = true;
      this.changed();
      const pair = this.issue(rec.accountId);
      return { ok: true, accountId: rec.accountId, pair };
    }
    const now = this.o.clock.now();
    const ttl = this.o.accessTtlSeconds();
    const access = this.token(rec.accountId, 'at');
    this.access.set(access, { accountId: rec.accountId, expiresAt: now + ttl * 1000, grant: g.gen });
    const pair: TokenPair = {
      access_token: access,
      refresh_token: refreshToken!,
      expires_in: ttl,
      refresh_expires_in: Math.max(0, Math.floor((rec.expiresAt - now) / 1000)),
      token_type: 'Bearer',
    };
    g.latest = pair;
    return { ok: true, accountId: rec.accountId, pair };
  }

  issueCode(accountId: string): string {
    const code = this.token(accountId, 'code');
    const g = this.grant(accountId);
    this.codes.set(code, {
      accountId,
      expiresAt: this.o.clock.now() + (this.o.codeTtlSeconds ?? 60) * 1000,
      used: false,
      grant: g.gen,
    });
    return code;
  }

  /** Exchanges a code; reusing a code revokes the account's authorization (Bling's documented behaviour). */
  exchangeCode(code: string | null): RefreshResult {
    const rec = code ? this.codes.get(code) : undefined;
    if (!rec) return { ok: false, error: 'invalid_grant', description: 'Invalid authorization code' };
    if (rec.used) {
      this.revoke(rec.accountId);
      return {
        ok: false,
        error: 'invalid_grant',
        description: 'Authorization code already used: the authorization was revoked',
      };
    }
    if (rec.expiresAt <= this.o.clock.now()) {
      return { ok: false, error: 'invalid_grant', description: 'The authorization code has expired' };
    }
    rec.used = true;
    this.changed();
    return { ok: true, accountId: rec.accountId, pair: this.issue(rec.accountId) };
  }

  /** Revokes the grant: access tokens stop working, refresh → invalid_grant. */
  revoke(accountId: string): void {
    const g = this.grant(accountId);
    g.revoked = true;
    this.changed();
  }

  isRevoked(accountId: string): boolean {
    return this.grants.get(accountId)?.revoked ?? false;
  }

  /** Expires every access token of the account now (forces the client to refresh). */
  expire(accountId: string): void {
    const now = this.o.clock.now();
    for (const rec of this.access.values()) {
      if (rec.accountId === accountId) rec.expiresAt = Math.min(rec.expiresAt, now);
    }
    this.changed();
  }

  /** Revokes one token (the ERP's /oauth/revoke endpoint): refresh tokens kill the grant. */
  revokeToken(token: string): boolean {
    const r = this.refreshes.get(token);
    if (r) {
      this.revoke(r.accountId);
      return true;
    }
    const a = this.access.get(token);
    if (a) {
      a.expiresAt = 0;
      this.changed();
      return true;
    }
    return false;
  }
}

/** Static API tokens (Tiny v2 `token`, Omie `app_key`/`app_secret`). */
export class StaticTokens {
  private readonly byToken = new Map<string, string>();
  private readonly byAccount = new Map<string, string>();
  private readonly gen = new Map<string, number>();

  private readonly state: StateFile<{ byAccount: Array<[string, string]>; gen: Array<[string, number]> }> | null = null;

  constructor(private readonly seed: number, private readonly prefix: string, private readonly bytes = 32) {
    const opened = StateFile.open(`static-${prefix}`, () => ({ byAccount: [...this.byAccount], gen: [...this.gen] }));
    if (opened) {
      this.state = opened.file;
      for (const [account, token] of opened.saved?.byAccount ?? []) {
        this.byAccount.set(account, token);
        this.byToken.set(token, account);
      }
      for (const [account, g] of opened.saved?.gen ?? []) this.gen.set(account, g);
    }
  }

  /** The account's current token (issued on first call or after a revocation). */
  tokenFor(accountId: string): string {
    const existing = this.byAccount.get(accountId);
    if (existing) return existing;
    const g = (this.gen.get(accountId) ?? 0) + 1;
    this.gen.set(accountId, g);
    const t = hex(rngFor(this.seed, this.prefix, accountId, g), this.bytes);
    this.byAccount.set(accountId, t);
    this.byToken.set(t, accountId);
    this.state?.changed();
    return t;
  }

  accountOf(token: string | null | undefined): string | null {
    return token ? this.byToken.get(token) ?? null : null;
  }

  revoke(accountId: string): void {
    const t = this.byAccount.get(accountId);
    if (t) this.byToken.delete(t);
    this.byAccount.delete(accountId);
    this.state?.changed();
  }

  isRevoked(accountId: string): boolean {
    return (this.gen.get(accountId) ?? 0) > 0 && !this.byAccount.has(accountId);
  }
}
