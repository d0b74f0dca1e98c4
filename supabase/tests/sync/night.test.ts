// The night at scale, on the stack's database (issue 14): a sync stops at its deadline or at the invocation's CPU
// budget (checkpoint saved, log 'interrupted', lease released, still due) and the next sync resumes from the
// checkpoint; countDue leaves leased rows out; the run row is an admission ticket under the invocation ceiling; the
// claim respects the in-flight cap, and an invocation held back by it waits and hands the night on.
import assert from 'node:assert/strict';
import type { Checkpoint, ErpAdapter, FinancialEntry, Page, Product } from '../../functions/_shared/adapters/contract.ts';
import { claimNextDue, countDue, getConnection, liveLeases } from '../../functions/_shared/db/connections.ts';
import { closeRun, openRun } from '../../functions/_shared/db/sync-logs.ts';
import { syncConnection } from '../../functions/_shared/sync/engine.ts';
import { CAP_POLL_MS, executeRun, outOfCpu } from '../../functions/_shared/sync/orchestrator.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, product, PRODUCTS_ONLY, productsOnly, testDeps, withFixture } from './fixtures.ts';


/**
 * The world of an executeRun test on the stack's database: `connections` Omie connections that sync products only,
 * and an open cron run row; everything deleted after `body`.
 */
async function withRun(
  env: Parameters<Parameters<typeof stackTest>[1]>[0],
  connections: number,
  body: (w: { sql: ReturnType<typeof sqlFor>; f: Fixture; ids: string[]; runId: string }) => Promise<void>,
) {
  await withFixture(env, 6, async (sql, f) => {
    let runId: string | null = null;
    try {
      const ids: string[] = [];
      for (let i = 0; i < connections; i++) ids.push((await f.connection({ erp: 'omie', ...PRODUCTS_ONLY })).connectionId);
      runId = (await openRun(sql as never, { source: 'cron', parentRunId: null, dryRun: false, recovered: 0, ceiling: null }))!.id;
      await body({ sql, f, ids, runId });
    } finally {
      if (runId) await sql`delete from public.erp_sync_runs where id = ${runId}`;
    }
  });
}

stackTest('at its deadline a sync saves its checkpoint, ends interrupted, releases the lease; the next one resumes', async (env) => {
  await withFixture(env, 4, async (sql, f) => {
    const p = await f.connection({ erp: 'omie', ...PRODUCTS_ONLY });
    // A fake clock: the adapter moves it past the deadline while "fetching" page 2.
    let now = new Date('2026-12-03T03:00:00Z');
    const deadline = new Date(now.getTime() + 60_000);
    const seen: Array<Checkpoint | null> = [];
    // Page 2 takes an hour to fetch, past the deadline: it lands all the same (a page fetched is never thrown
    // away) and the sync stops before page 3, which the next sync fetches.
    const adapter = () =>
      productsOnly((from) => {
        seen.push(from);
        return (async function* (): AsyncIterable<Page<Product>> {
          if (!from) {
            yield { records: [product('a'), product('b')], failed: [], checkpoint: { page: 1 } };
            now = new Date(now.getTime() + 3_600_000);
            yield { records: [product('c')], failed: [], checkpoint: { page: 2 } };
          }
          yield { records: [product('d')], failed: [], checkpoint: { page: 3, phase: 'done' } };
        })();
      });
    const deps = testDeps(sql, 'deadline-test', adapter, { now: () => now, leaseSeconds: 600 });
    await sql`update public.erp_connections set lease_owner = 'deadline-test', lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    const first = await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, { syncType: 'auto', runId: null, deadline });
    assert.equal(first.status, 'interrupted');
    const [log] = await f.logs(p.connectionId);
    assert.equal(log.status, 'interrupted');
    assert.match(log.error_message, /limite de tempo/);
    const c = await f.conn(p.connectionId);
    assert.equal(c.lease_owner, null, 'lease released');
    assert.equal(c.next_sync_at, null, 'still due');
    assert.equal(c.consecutive_failures, 0, 'not a failure');
    assert.equal(c.status, 'active');
    const [cp] = await sql`select checkpoint from public.erp_sync_checkpoints where connection_id = ${p.connectionId} and entity = 'products'`;
    assert.deepEqual(cp.checkpoint, { page: 2 }, 'the last page that landed');
    const [{ n }] = await sql`select count(*)::int as n from public.company_products where connection_id = ${p.connectionId}`;
    assert.equal(n, 3);

    // The next sync (no deadline) resumes after page 2.
    await sql`update public.erp_connections set lease_owner = 'deadline-test', lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    const second = await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, { syncType: 'auto', runId: null });
    assert.equal(second.status, 'success');
    assert.deepEqual(seen, [null, { page: 2 }]);
    const [{ m }] = await sql`select count(*)::int as m from public.company_products where connection_id = ${p.connectionId}`;
    assert.equal(m, 4);
    assert.ok((await f.conn(p.connectionId)).next_sync_at, 'rescheduled after the sync that finished');
  });
});

stackTest('countDue counts the due rows nobody holds', async (env) => {
  await withFixture(env, undefined, async (sql, f) => {
    const a = await f.connection({ erp: 'tiny' });
    const b = await f.connection({ erp: 'tiny' });
    const ids = [a.connectionId, b.connectionId];
    assert.equal(await countDue(sql as never, new Date(), ids), 2);
    await sql`update public.erp_connections set lease_owner = 'x', lease_expires_at = now() + interval '1 minute' where id = ${a.connectionId}`;
    assert.equal(await countDue(sql as never, new Date(), ids), 1, 'a leased row is being worked on');
    await sql`update public.erp_connections set lease_expires_at = now() - interval '1 minute' where id = ${a.connectionId}`;
    assert.equal(await countDue(sql as never, new Date(), ids), 2, 'an expired lease is free again');
  });
});

stackTest('a run row is admitted only under the invocation ceiling; a run counts until it closes', async (env) => {
  const sql = sqlFor(env);
  const ids: string[] = [];
  try {
    // Only runs started after this instant count here (earlier tests' rows are left out).
    const [{ t }] = await sql`select clock_timestamp() as t`;
    const open = async () => {
      const r = await openRun(sql as never, { source: 'cron', parentRunId: null, dryRun: false, recovered: 0, ceiling: 2, aliveAfter: t });
      if (r) ids.push(r.id);
      return r;
    };
    const [x, y] = await Promise.all([open(), open()]);
    assert.ok(x && y);
    assert.deepEqual([x.alive, y.alive].sort(), [1, 2], 'two at once count each other');
    assert.equal(await open(), null, 'the ceiling is reached');
    await closeRun(sql as never, x.id, { processed: 0, recovered: 0, succeeded: 0, failed: 0, remaining: 1, durationMs: 0, details: {} });
    const z = await open();
    assert.ok(z, 'a closed run leaves its place');
    assert.equal(z.alive, 2);
  } finally {
    await sql`delete from public.erp_sync_runs where id = any(${ids}::uuid[])`;
    await sql.end();
  }
});

stackTest('at the CPU budget a sync stops as at its deadline, after its first page: checkpoint saved, interrupted, lease released', async (env) => {
  await withFixture(env, 4, async (sql, f) => {
    const p = await f.connection({ erp: 'omie', ...PRODUCTS_ONLY });
    // A CPU clock already past the budget (e.g. one that counts other invocations too): the first page still
    // lands — every sync makes progress — and the sync stops before the second.
    const cpuMs = 1900;
    let asked = 0;
    let fetched = 0; // pages the adapter fetched (each yield follows its requests)
    const adapter = () =>
      productsOnly(() =>
        (async function* (): AsyncIterable<Page<Product>> {
          fetched++;
          yield { records: [product('a')], failed: [], checkpoint: { page: 1 } };
          fetched++;
          yield { records: [product('b')], failed: [], checkpoint: { page: 2 } };
          fetched++;
          yield { records: [product('c')], failed: [], checkpoint: { page: 3, phase: 'done' } };
        })()
      );
    const deps = testDeps(sql, 'cpu-test', adapter, { leaseSeconds: 600 });
    await sql`update public.erp_connections set lease_owner = 'cpu-test', lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    const limits = { cpuMs: 2000 };
    const out = await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, {
      syncType: 'auto',
      runId: null,
      stopWhen: () => {
        asked++;
        return outOfCpu(cpuMs, limits);
      },
    });
    assert.equal(out.status, 'interrupted');
    assert.equal(asked, 1, 'asked once, when page 2 had been fetched');
    assert.equal(fetched, 2, 'page 3 was never fetched');
    assert.equal(out.entities.products?.pages, 2, 'page 2, fetched before the stop, landed');
    const c = await f.conn(p.connectionId);
    assert.equal(c.lease_owner, null, 'lease released');
    assert.equal(c.next_sync_at, null, 'still due: the next invocation resumes it');
    const [cp] = await sql`select checkpoint from public.erp_sync_checkpoints where connection_id = ${p.connectionId} and entity = 'products'`;
    assert.deepEqual(cp.checkpoint, { page: 2 }, 'the last page that landed');
  });
});

/**
 * An Omie connection syncing products (two pages) and financials (two pages) on a fake clock, whose adapter
 * counts the listings it starts and records the financials' windows; `attempt` leases the connection and syncs it.
 */
async function twoEntityWorld(sql: ReturnType<typeof sqlFor>, f: Fixture, owner: string) {
  const p = await f.connection({ erp: 'omie', syncConfig: { entities: { nfe: false, profile: false } } });
  const clock = { now: new Date('2026-12-03T03:00:00Z') };
  await sql`update public.erp_connections set next_sync_at = ${new Date(clock.now.getTime() - 60_000)} where id = ${p.connectionId}`;
  const calls = { products: 0, financials: 0 };
  const windows: string[] = [];
  const triggers: string[] = [];
  const entry = (id: string): FinancialEntry => ({
    externalId: id, kind: 'receivable', date: '2026-12-02', amount: '100.00', status: 'paid', categoryId: null,
    categoryName: null, dreLine: 'receita_bruta', dreRule: 'test', description: null,
  });
  const base = productsOnly((from) => {
    calls.products++;
    return (async function* (): AsyncIterable<Page<Product>> {
      if (!from) yield { records: [product('a')], failed: [], checkpoint: { page: 1 } };
      yield { records: [product('b')], failed: [], checkpoint: { page: 2, phase: 'done' } };
    })();
  });
  const adapter = (): ErpAdapter => ({
    ...base,
    capabilities: { ...base.capabilities, financials: true },
    financials: (w, from) => {
      calls.financials++;
      windows.push(`${w.from}..${w.to}`);
      return (async function* (): AsyncIterable<Page<FinancialEntry>> {
        if (!from) yield { records: [entry('f1')], failed: [], checkpoint: { page: 1 } };
        yield { records: [entry('f2')], failed: [], checkpoint: { page: 2 } };
      })();
    },
  });
  const deps = testDeps(sql, owner, adapter, {
    now: () => clock.now,
    trigger: (fn) => {
      triggers.push(fn);
      return Promise.resolve({ function: fn, ok: true, status: 200 });
    },
  });
  const attempt = async (stopWhen?: () => boolean) => {
    await sql`update public.erp_connections set lease_owner = ${owner}, lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    return await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, { syncType: 'auto', runId: null, stopWhen });
  };
  return { p, clock, calls, windows, triggers, attempt };
}

stackTest('a sync resumed after a stop does not read again the entities its earlier attempt finished in this pass', async (env) => {
  await withFixture(env, 4, async (sql, f) => {
    const { p, clock, calls, triggers, attempt } = await twoEntityWorld(sql, f, 'pass-test');

    // 1st attempt: products finish; the CPU budget runs out in the financials, after their first page.
    const first = await attempt(() => calls.financials > 0);
    assert.equal(first.status, 'interrupted');
    assert.deepEqual(calls, { products: 1, financials: 1 });

    // 2nd attempt, the same night: the products are not read again, the financials resume after page 1.
    clock.now = new Date('2026-12-03T03:10:00Z');
    const second = await attempt();
    assert.equal(second.status, 'success');
    assert.deepEqual(calls, { products: 1, financials: 2 }, 'products not read again');
    assert.equal(second.entities.products?.status, 'success');
    assert.equal(second.entities.products?.finished_earlier, true);
    assert.equal(second.entities.financials?.synced, 1, 'only page 2');
    assert.equal(triggers.filter((t) => t === 'analyze-ncm-from-xmls').length, 1, 'the products follow-up fired once');
    const c = await f.conn(p.connectionId);
    assert.ok(c.next_sync_at > clock.now, 'finished: the next pass is scheduled');

    // The next night reads the products again.
    clock.now = new Date(c.next_sync_at.getTime() + 60_000);
    assert.equal((await attempt()).status, 'success');
    assert.deepEqual(calls, { products: 2, financials: 3 });
  });
});

stackTest('a full re-sync that needs two attempts resumes like a first sync, and is asked for once', async (env) => {
  await withFixture(env, 4, async (sql, f) => {
    const { p, clock, calls, windows, attempt } = await twoEntityWorld(sql, f, 'full-test');
    assert.equal((await attempt()).status, 'success', 'an ordinary pass first');
    const c0 = await f.conn(p.connectionId);
    clock.now = new Date(c0.next_sync_at.getTime() + 60_000);
    await sql`update public.erp_connections set sync_config = sync_config || '{"full_resync": true}'::jsonb where id = ${p.connectionId}`;
    const [full, incremental] = ['2025-12-01..2026-12-03', '2026-11-01..2026-12-04'];
    assert.equal(windows[0], full, 'the first pass reads 12 months');

    // The full re-sync's 1st attempt: everything from the start (products listed whole, 12 months of financials),
    // stopped by the CPU budget in the financials after their first page.
    const first = await attempt(() => calls.financials > 1);
    assert.equal(first.status, 'interrupted');
    assert.deepEqual(calls, { products: 2, financials: 2 });
    assert.equal(windows[1], full, 'a full re-sync reads 12 months');
    assert.equal((await f.conn(p.connectionId)).sync_config.full_resync, false, 'asked for once: cleared as it starts');

    // 2nd attempt: the products finished in this pass are not read again; the financials resume after page 1 of
    // the same 12-month window (before: both started over, so a re-sync longer than an invocation never ended).
    const second = await attempt();
    assert.equal(second.status, 'success');
    assert.deepEqual(calls, { products: 2, financials: 3 });
    assert.equal(second.entities.products?.finished_earlier, true);
    assert.equal(second.entities.financials?.synced, 1, 'only page 2');
    assert.equal(windows[2], full);

    // The night after: incremental again.
    clock.now = new Date((await f.conn(p.connectionId)).next_sync_at.getTime() + 60_000);
    assert.equal((await attempt()).status, 'success');
    assert.equal(windows[3], incremental);
  });
});

stackTest('claim: nothing is claimed while the in-flight cap is full (live leases, whoever holds them)', async (env) => {
  await withFixture(env, 4, async (sql, f) => {
    const a = await f.connection({ erp: 'tiny' });
    const b = await f.connection({ erp: 'tiny' });
    await sql`update public.erp_connections set lease_owner = 'someone', lease_expires_at = now() + interval '1 minute' where id = ${a.connectionId}`;
    const live = await liveLeases(sql as never, new Date());
    assert.ok(live >= 1);
    const claim = (maxInFlight: number) => claimNextDue(sql as never, new Date(), 'cap-test', 60, { ids: [b.connectionId], maxInFlight });
    assert.equal(await claim(live), null, 'the cap is full: nothing claimed');
    assert.equal((await f.conn(b.connectionId)).lease_owner, null);
    assert.equal((await claim(live + 1))?.id, b.connectionId, 'one slot free: claimed');
    assert.equal(await liveLeases(sql as never, new Date()), live + 1);
  });
});

stackTest('an invocation held back by a full in-flight cap waits, tries again, and hands the night on', async (env) => {
  await withRun(env, 0, async ({ sql, f, runId }) => {
    const a = await f.connection({ erp: 'tiny' });
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = ${a.connectionId}`;
    // A fake clock that only the cap's waits move: 120 s of claim budget = 60 polls of 2 s.
    let t = 0;
    const polls: number[] = [];
    let handedOn = 0;
    const deps = testDeps(sql, 'cap-wait-test', () => {
      throw new Error('nothing is claimed');
    });
    const live = await liveLeases(sql as never, new Date());
    const summary = await executeRun(deps, runId, 0, { source: 'cron', concurrency: 4 }, {
      claimMs: 120_000,
      maxConcurrency: 4,
      maxInFlight: live, // full
    }, {
      clock: () => t,
      startedAt: 0,
      sleep: (ms) => {
        polls.push(ms);
        t += ms;
        return Promise.resolve();
      },
      handOn: () => {
        handedOn++;
        return Promise.resolve(true);
      },
    });
    assert.equal(summary.processed, 0);
    assert.equal(summary.stopped_by, 'wall');
    // One poll at a time (the others wait for it) until the budget is spent; a worker that passed the budget check
    // just before another's poll ended may poll once more.
    assert.ok(polls.length >= 60 && polls.length < 60 + 4, `${polls.length} polls`);
    assert.ok(polls.every((ms) => ms === CAP_POLL_MS));
    assert.equal(handedOn, 1, 'the night is handed on: the work left is free, only the cap held it back');
    assert.equal((await f.conn(a.connectionId)).lease_owner, null, 'nothing leased');
  });
});

stackTest('an invocation whose syncs stopped early hands on again, even after it handed on (the chain must not end with them due)', async (env) => {
  await withRun(env, 2, async ({ sql, ids, runId }) => {
    const deps = testDeps(sql, 'released-test', () =>
      productsOnly(() =>
        (async function* (): AsyncIterable<Page<Product>> {
          yield { records: [product('a')], failed: [], checkpoint: { page: 1 } };
          yield { records: [product('b')], failed: [], checkpoint: { page: 2, phase: 'done' } };
        })()
      ));
    let handOns = 0;
    // The CPU is spent from the start: one claim (always allowed), its sync stops after page 1, then the
    // invocation hands on (the other connection is free) — and again at its end, for the one it released.
    const summary = await executeRun(deps, runId, 0, { source: 'cron', connectionIds: ids, concurrency: 1 }, {
      claimMs: 120_000,
      maxConcurrency: 1,
      cpuMs: 2000,
    }, {
      cpuMs: () => 1900,
      handOn: () => {
        handOns++;
        return Promise.resolve(true);
      },
    });
    assert.equal(summary.processed, 1);
    assert.equal(summary.results[0].status, 'interrupted');
    assert.equal(summary.stopped_by, 'cpu');
    assert.equal(handOns, 2);
  });
});

/** Engine dependencies whose syncs land one page of products and end; `started()` counts the syncs begun. */
function onePageSyncs(sql: ReturnType<typeof sqlFor>, owner: string) {
  let started = 0;
  const deps = testDeps(sql, owner, () => {
    started++;
    return productsOnly(() =>
      (async function* (): AsyncIterable<Page<Product>> {
        yield { records: [product('a')], failed: [], checkpoint: { page: 1, phase: 'done' } };
      })()
    );
  });
  return { deps, started: () => started };
}

stackTest('workers that start together count each other\'s claims against the CPU budget', async (env) => {
  await withRun(env, 10, async ({ sql, ids, runId }) => {
    const { deps, started } = onePageSyncs(sql, 'claiming-test');
    // 1,000 ms spent; each sync costs 200. The rule (80 % of 2,000 = 1,600; 150 per sync before any finished)
    // fits 4 claims: 1,000 + 4 × 150 = 1,600. Sixteen workers start at once.
    const summary = await executeRun(deps, runId, 0, { source: 'cron', connectionIds: ids, concurrency: 16 }, {
      claimMs: 120_000,
      maxConcurrency: 16,
      cpuMs: 2000,
    }, { cpuMs: () => 1000 + 200 * started(), handOn: () => Promise.resolve(true) });
    assert.ok(summary.processed >= 1 && summary.processed <= 4, `${summary.processed} claimed: claims in flight count, not one claim per worker`);
    assert.equal(summary.stopped_by, 'cpu');
  });
});

stackTest('a continuation refused at admission is asked for again at the end, once the run row is closed', async (env) => {
  await withRun(env, 10, async ({ sql, ids, runId }) => {
    const { deps, started } = onePageSyncs(sql, 'refused-test');
    // The CPU rule stops the claims after a few syncs with connections left: the first hand-on is refused (the
    // invocations alive fill the ceiling), so the invocation asks again at its end, after closing its run row.
    const asked: string[] = [];
    const summary = await executeRun(deps, runId, 0, { source: 'cron', connectionIds: ids, concurrency: 2 }, {
      claimMs: 120_000,
      maxConcurrency: 2,
      cpuMs: 2000,
    }, {
      cpuMs: () => 1000 + 200 * started(),
      handOn: async () => {
        const [run] = await sql`select status from public.erp_sync_runs where id = ${runId}`;
        asked.push(run.status);
        return asked.length > 1;
      },
    });
    assert.equal(summary.stopped_by, 'cpu');
    assert.deepEqual(asked, ['running', 'completed'], 'refused while running; asked again once closed');
    assert.equal(summary.handed_on, true);
  });
});

stackTest('at the CPU budget an invocation hands on once half of its syncs ended, not at once', async (env) => {
  await withRun(env, 6, async ({ sql, ids, runId }) => {
    // Each sync waits for its gate; the test opens them one by one.
    const gates: Array<() => void> = [];
    let ended = 0;
    let started = 0;
    const deps = testDeps(sql, 'half-test', () => {
      started++;
      return productsOnly(() =>
        (async function* (): AsyncIterable<Page<Product>> {
          await new Promise<void>((r) => gates.push(r));
          yield { records: [product('a')], failed: [], checkpoint: { page: 1, phase: 'done' } };
          ended++;
        })()
      );
    });
    let endedAtHandOn = -1;
    let startedAtHandOn = -1;
    // 1,000 ms spent and 200 per sync started: 4 claims fit (1,000 + 4 × 150 = 1,600), then CPU refuses.
    const running = executeRun(deps, runId, 0, { source: 'cron', connectionIds: ids, concurrency: 8 }, {
      claimMs: 120_000,
      maxConcurrency: 8,
      cpuMs: 2000,
    }, {
      cpuMs: () => 1000 + 200 * started,
      handOn: () => {
        if (endedAtHandOn < 0) [endedAtHandOn, startedAtHandOn] = [ended, started];
        return Promise.resolve(true);
      },
    });
    // The first claims settle (2 to 4 syncs, depending on timing: claims that collide come back empty): no new sync
    // for 300 ms. Then the gates open one by one, including syncs that start later (a worker whose claim came back
    // empty claims again when a slot frees, while CPU allows).
    for (let seen = -1; gates.length === 0 || gates.length !== seen;) {
      seen = gates.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    let done = false;
    void running.finally(() => (done = true));
    let opened = 0;
    while (!done) {
      if (opened < gates.length) {
        gates[opened++]();
        while (ended < opened) await new Promise((r) => setTimeout(r, 10));
      }
      // Its close and the hand-on decision (a count of the due rows, then the hand-on) run before the next opens.
      await new Promise((r) => setTimeout(r, 200));
    }
    const summary = await running;
    assert.equal(summary.processed, opened);
    assert.equal(summary.stopped_by, 'cpu');
    assert.ok(startedAtHandOn >= 2, `at least two syncs were in flight at the CPU budget (${startedAtHandOn})`);
    const n = startedAtHandOn;
    assert.equal(endedAtHandOn, n - Math.floor(n / 2), `handed on when half of its ${n} syncs had ended, not at once`);
  });
});

// The race the crash test met in CI (2026-12-04): the run's recovery step looked while the dead holder's lease was
// still live, the lease lapsed a moment later, and the claim took the connection; the sync then closed the dead
// log itself (openOrTakeOver), and the run reported recovered 0.
stackTest('a dead holder’s log closed by the sync itself counts in the run’s recovered', async (env) => {
  await withRun(env, 1, async ({ sql, f, ids: [id], runId }) => {
    const c = await f.conn(id);
    // Left by a holder that died: its log still running with a fresh heartbeat, its lease just lapsed.
    await sql`insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, heartbeat_at)
              values (${id}, ${c.company_id}, 'auto', 'running', now(), now())`;
    await sql`update public.erp_connections set lease_owner = 'dead-holder', lease_expires_at = now() - interval '1 second'
              where id = ${id}`;
    const deps = testDeps(sql, 'takeover-test', () =>
      productsOnly(() =>
        (async function* (): AsyncIterable<Page<Product>> {
          yield { records: [product('a')], failed: [], checkpoint: { page: 1, phase: 'done' } };
        })()
      ));
    const summary = await executeRun(deps, runId, 0, { source: 'cron', connectionIds: [id], concurrency: 1 }, {
      claimMs: 120_000,
      maxConcurrency: 1,
    });
    assert.equal(summary.results[0]?.status, 'success');
    const logs = await f.logs(id);
    assert.deepEqual(logs.map((l) => l.status), ['interrupted', 'success']);
    assert.equal(summary.recovered, 1, 'the run reports the log it recovered');
    const [run] = await sql`select recovered from public.erp_sync_runs where id = ${runId}`;
    assert.equal(run.recovered, 1, 'and so does its row');
  });
});
