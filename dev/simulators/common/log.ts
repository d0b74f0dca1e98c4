/** Bounded request log + counters shared by every simulator. */
import type { RequestLogEntry, SimulatorStats } from './types.ts';

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  readonly stats: SimulatorStats = {
    requests: 0,
    tokenCalls: 0,
    rateLimited: 0,
    injectedFailures: 0,
    byAccount: {},
  };

  constructor(private readonly limit = 2000) {}

  add(e: RequestLogEntry, kind: { token?: boolean } = {}): void {
    this.stats.requests++;
    if (kind.token) this.stats.tokenCalls++;
    if (e.injected === 'rate_limit' || e.injected === 'storm') this.stats.rateLimited++;
    if (e.injected === 'failure' || e.injected === 'malformed') this.stats.injectedFailures++;
    if (e.accountId) this.stats.byAccount[e.accountId] = (this.stats.byAccount[e.accountId] ?? 0) + 1;
    this.entries.push(e);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(limit?: number): RequestLogEntry[] {
    return limit ? this.entries.slice(-limit) : [...this.entries];
  }

  clear(): void {
    this.entries = [];
    this.stats.requests = 0;
    this.stats.tokenCalls = 0;
    this.stats.rateLimited = 0;
    this.stats.injectedFailures = 0;
    this.stats.byAccount = {};
  }
}
