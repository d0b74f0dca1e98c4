// The Vault side of a cron secret rotation (README "To rotate the secret"): after
// `vault.update_secret(<erp_auto_sync_secret>, <new>)` the nightly job's own command sends the NEW secret, and a
// function checking with the new secret (the functions' own check, requireCronSecret) accepts it while the old
// one is refused. The job's URL is pointed at a local endpoint for the test; Vault is restored afterwards.
import assert from 'node:assert/strict';
import { requireCronSecret } from '../../functions/_shared/auth/cron-secret.ts';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';

stackTest(
  'cron secret rotation: after vault.update_secret the cron job authenticates with the new secret',
  async (env) => {
    const sql = sqlFor(env);
    const rotated = `rotated-${crypto.randomUUID()}`;
    const seen: string[] = [];
    const savedEnv = Deno.env.get('ERP_AUTO_SYNC_SECRET');
    // The function side after `supabase secrets set ERP_AUTO_SYNC_SECRET=<new>`.
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
      seen.push(req.headers.get('authorization') ?? '');
      await req.body?.cancel();
      try {
        await requireCronSecret(req);
        return Response.json({ accepted: true }, { status: 202 });
      } catch {
        return Response.json({ error: 'unauthorized' }, { status: 401 });
      }
    });
    const [saved] = await sql`
    select (select id from vault.secrets where name = 'project_url') as url_id,
           (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') as url,
           (select id from vault.secrets where name = 'erp_auto_sync_secret') as secret_id,
           (select decrypted_secret from vault.decrypted_secrets where name = 'erp_auto_sync_secret') as secret`;
    const [job] = await sql`select command from cron.job where jobname = 'erp-auto-sync-daily'`;
    /** Runs exactly what pg_cron runs for the nightly job; the status pg_net recorded for its call. */
    const fire = async (): Promise<number | null> => {
      const [row] = await sql.unsafe(job.command as string);
      const id = String(Object.values(row)[0]);
      const r = await waitFor(async () => {
        const [x] = await sql`select status_code from net._http_response where id = ${id}::bigint`;
        return x ?? null;
      }, 30_000);
      return r.status_code as number | null;
    };
    try {
      Deno.env.set('ERP_AUTO_SYNC_SECRET', rotated);
      await sql`select vault.update_secret(${saved.url_id}::uuid, ${`http://127.0.0.1:${server.addr.port}`})`;
      await sql`select vault.update_secret(${saved.secret_id}::uuid, ${rotated})`;
      assert.equal(await fire(), 202, "the function with the new secret accepted the job's call");
      assert.deepEqual(seen, [`Bearer ${rotated}`], 'the job sent the secret now in Vault');

      // The old secret (a Vault not updated) is refused by the rotated function.
      await sql`select vault.update_secret(${saved.secret_id}::uuid, ${saved.secret as string})`;
      assert.equal(await fire(), 401, 'the old secret is refused');
      assert.equal(seen[1], `Bearer ${saved.secret}`);
    } finally {
      await sql`select vault.update_secret(${saved.url_id}::uuid, ${saved.url as string})`;
      await sql`select vault.update_secret(${saved.secret_id}::uuid, ${saved.secret as string})`;
      if (savedEnv === undefined) Deno.env.delete('ERP_AUTO_SYNC_SECRET');
      else Deno.env.set('ERP_AUTO_SYNC_SECRET', savedEnv);
      await server.shutdown();
      await sql.end();
    }
  },
);
