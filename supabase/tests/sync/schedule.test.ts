// The engine gives each connection ITS OWN schedule: after a sync, next_sync_at is the next slot of the
// connection's sync_config.schedule after the sync (computed here independently of schedule.ts), not the
// default midnight — and a connection on the default schedule next to it gets the next midnight.
import assert from 'node:assert/strict';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, nextMidnightUtc } from './fixtures.ts';

/** The first Monday 03:17 UTC strictly after `after`. */
function nextMonday0317(after: Date): string {
  for (let d = 0; d <= 8; d++) {
    const t = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate() + d, 3, 17));
    if (t.getUTCDay() === 1 && t > after) return t.toISOString();
  }
  throw new Error('unreachable');
}

stackTest("a sync schedules the connection's next run on its own schedule", async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const own = await f.connection({ erp: 'tiny', nfeCount: 2, productCount: 2, financialCount: 2 });
    const dflt = await f.connection({ erp: 'tiny', nfeCount: 2, productCount: 2, financialCount: 2 });
    await sql`update public.erp_connections set sync_config = sync_config || '{"schedule": "17 3 * * 1"}'::jsonb
              where id = ${own.connectionId}`;
    const r = await f.autoSync({ source: 'ops', connection_ids: [own.connectionId, dflt.connectionId] });
    assert.equal(r.status, 200);
    assert.equal(r.body.succeeded, 2, JSON.stringify(r.body.results));
    const a = await f.conn(own.connectionId);
    const b = await f.conn(dflt.connectionId);
    assert.equal(
      a.next_sync_at.toISOString(),
      nextMonday0317(a.last_sync_at),
      'the connection schedule (Mon 03:17)',
    );
    assert.equal(
      b.next_sync_at.toISOString(),
      nextMidnightUtc(b.last_sync_at),
      'the default schedule (00:00)',
    );
  } finally {
    await f.cleanup();
    await sql.end();
  }
});
