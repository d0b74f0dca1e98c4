// The database's copy of the schedule rule (erp_next_slot_after, used for overdue alerts) agrees with the
// engine's (supabase/functions/_shared/sync/schedule.ts nextSlotAfter) on every schedule form the config allows.
import assert from 'node:assert/strict';
import { nextSlotAfter } from '../../functions/_shared/sync/schedule.ts';
import { sqlFor, stackTest } from '../helpers.ts';

stackTest('erp_next_slot_after (SQL) matches nextSlotAfter (engine)', async (env) => {
  const sql = sqlFor(env);
  try {
    const schedules = ['0 0 * * *', '30 3 * * *', '*/30 9-17 * * 1-5', '0,15 */6 * * 0,6', '5-55/10 0-5 * * *', '0 12 * * 7', '0 0 * * 1'];
    const instants = ['2026-12-03T00:00:00Z', '2026-12-03T00:07:00Z', '2026-12-05T23:59:59.999Z', '2026-12-31T17:45:00Z',
      '2027-02-28T23:30:00Z', '2026-03-08T05:00:00Z'];
    for (const s of schedules) {
      for (const at of instants) {
        const [{ slot }] = await sql`select public.erp_next_slot_after(${at}::timestamptz, ${s}) as slot`;
        assert.equal(slot.toISOString(), nextSlotAfter(new Date(at), s).toISOString(), `${s} after ${at}`);
      }
    }
    await assert.rejects(sql`select public.erp_next_slot_after(now(), '0 0 1 * *')`, /schedule must look like/);
  } finally {
    await sql.end();
  }
});
