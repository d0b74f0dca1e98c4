// Issue #13 items 3 and 4: one schedule grammar for the database and the code, one set of sync_config defaults
// (applied by the database on write), and the due-check job that honours a schedule at any hour.
import assert from 'node:assert/strict';
import { listDue } from '../../functions/_shared/db/connections.ts';
import { parseSyncConfig, SYNC_CONFIG_DEFAULTS } from '../../functions/_shared/sync/config.ts';
import { scheduleError } from '../../functions/_shared/sync/schedule.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

// [schedule, valid?] — both parsers must agree on every row.
const CASES: Array<[string, boolean]> = [
  ['0 0 * * *', true],
  ['0 12 * * *', true],
  ['59 23 * * *', true],
  ['0 24 * * *', false],
  ['61 0 * * *', false],
  ['60 0 * * *', false],
  ['30 6,18 * * *', true],
  ['*/15 0 * * *', true],
  ['5/10 0-5 * * *', true],
  ['0 0 * * 1-5', true],
  ['0 0 * * 7', true],
  ['0 0 * * 8', false],
  ['0 0 * * 0,7', true],
  ['0 0 1 * *', false],
  ['0 0 * 1 *', false],
  ['*/0 0 * * *', false],
  ['5-1 0 * * *', false],
  ['0-59/30 */6 * * *', true],
  ['00 00 * * *', true],
  ['0,,1 0 * * *', false],
  ['1- 0 * * *', false],
  ['0 0 * * MON', false],
  ['a b * * *', false],
  ['99999999999999999999 0 * * *', false],
  ['0  0 * * *', false],
  [' 0 0 * * *', false],
  ['0 0 * * *\n', false],
  ['0 0 * *', false],
  ['0 0 * * * *', false],
  ['', false],
  ['0 0 * * ', false],
  [' ', false],
  ['every night', false],
  ['-1 0 * * *', false],
  ['0 23/2 * * *', true],
  ['0 1-23/0 * * *', false],
];

stackTest('the schedule grammar: the database check and the TypeScript parser agree on every case', async (env) => {
  const sql = sqlFor(env);
  try {
    const disagree: string[] = [];
    for (const [expr, valid] of CASES) {
      const [{ db }] = await sql`select public.erp_schedule_is_valid(${expr}) as db`;
      const ts = scheduleError(expr) === null;
      const [{ cfg }] = await sql`select public.erp_sync_config_is_valid(jsonb_build_object('schedule', ${expr}::text)) as cfg`;
      const zod = (() => {
        try {
          parseSyncConfig({ schedule: expr });
          return true;
        } catch {
          return false;
        }
      })();
      if (db !== valid || ts !== valid || cfg !== valid || zod !== valid) {
        disagree.push(`${JSON.stringify(expr)}: expected ${valid}, sql ${db}, check ${cfg}, ts ${ts}, zod ${zod}`);
      }
    }
    assert.deepEqual(disagree, []);
  } finally {
    await sql.end();
  }
});

stackTest('sync_config: the database normalises on write; its defaults are the code\'s; {} is due', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const [{ d }] = await sql`select public.erp_sync_config_defaults() as d`;
    assert.deepEqual(d, SYNC_CONFIG_DEFAULTS);

    const a = await f.connection({ erp: 'tiny' });
    await sql`update public.erp_connections set sync_config = '{}'::jsonb, next_sync_at = now() - interval '1 minute'
              where id = ${a.connectionId}`;
    const c = await f.conn(a.connectionId);
    assert.deepEqual(c.sync_config, SYNC_CONFIG_DEFAULTS, 'stored with every default');
    assert.deepEqual(parseSyncConfig(c.sync_config), parseSyncConfig({}), 'the engine reads what the database wrote');
    const due = await listDue(sql as never, new Date(Date.now() + 1000), [a.connectionId]);
    assert.equal(due.length, 1, '{} means auto_sync on: the connection is due');

    await sql`update public.erp_connections set sync_config = '{"entities": {"nfe": false}, "schedule": "0 12 * * *"}'
              where id = ${a.connectionId}`;
    const c2 = await f.conn(a.connectionId);
    assert.deepEqual(c2.sync_config.entities, { ...SYNC_CONFIG_DEFAULTS.entities, nfe: false });
    assert.equal(c2.sync_config.auto_sync, true);
    assert.equal(c2.sync_config.schedule, '0 12 * * *');

    await assert.rejects(
      sql`update public.erp_connections set sync_config = '{"schedule": "0 24 * * *"}' where id = ${a.connectionId}`,
      /erp_connections_sync_config_check|check constraint/,
    );
    assert.equal((await f.conn(a.connectionId)).sync_config.schedule, '0 12 * * *', 'nothing changed');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});
