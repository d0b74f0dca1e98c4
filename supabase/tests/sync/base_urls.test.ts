// Issue #13 item 13: api_base_url / auth_base_url must be https outside the local stack (http only on loopback).
// The database check and the code's check agree on one table of cases; the engine refuses before any call.
import assert from 'node:assert/strict';
import { adapterFor } from '../../functions/_shared/sync/adapter-context.ts';
import { baseUrlProblem } from '../../functions/_shared/http/base-url.ts';
import { isAppError } from '../../functions/_shared/errors.ts';
import { sqlFor, stackTest } from '../helpers.ts';

const CASES: Array<[string, boolean]> = [
  ['https://api.bling.com.br/Api/v3', true],
  ['https://app.omie.com.br/api/v1/', true],
  ['https://api.tiny.com.br', true],
  ['http://api.tiny.com.br/api2', false],
  ['http://api-v2.contaazul.com', false],
  ['http://127.0.0.1:55331', true],
  ['http://127.0.0.1', true],
  ['http://localhost:54331/api', true],
  ['http://[::1]:8080/', true],
  ['http://127.0.0.1.evil.com/', false],
  ['http://127.0.0.1@evil.com/', false],
  ['https://user:pw@api.bling.com.br/', false],
  ['http://10.0.0.5:8080', false],
  ['ftp://api.bling.com.br', false],
  ['https://', false],
  ['api.bling.com.br', false],
  ['HTTPS://API.BLING.COM.BR/Api/v3', true],
];

stackTest('base URLs: https only (http on loopback); the database and the code agree', async (env) => {
  const sql = sqlFor(env);
  try {
    const disagree: string[] = [];
    for (const [u, ok] of CASES) {
      const [{ db }] = await sql`select public.erp_base_url_is_allowed(${u}) as db`;
      const ts = baseUrlProblem(u) === null;
      if (db !== ok || ts !== ok) disagree.push(`${u}: expected ${ok}, sql ${db}, ts ${ts}`);
    }
    assert.deepEqual(disagree, []);

    const [c] = await sql`insert into public.companies (name) values ('Empresa URL') returning id`;
    try {
      await assert.rejects(
        sql`insert into public.erp_connections (company_id, erp_type, api_base_url, account_key)
            values (${c.id}, 'tiny', 'http://api.tiny.com.br/api2', 'acc-url')`,
        /erp_connections_https_base_urls/,
      );
      const [conn] = await sql`insert into public.erp_connections (company_id, erp_type, api_base_url, account_key)
                               values (${c.id}, 'bling', 'https://api.bling.com.br/Api/v3', 'acc-url') returning id`;
      await assert.rejects(
        sql`update public.erp_connections set auth_base_url = 'http://www.bling.com.br' where id = ${conn.id}`,
        /erp_connections_https_base_urls/,
      );
    } finally {
      await sql`delete from public.companies where id = ${c.id}`;
    }
  } finally {
    await sql.end();
  }
});

Deno.test('the engine refuses an http base URL before any credential is read or call made', () => {
  const conn = {
    id: crypto.randomUUID(),
    erp_type: 'tiny',
    account_key: 'k',
    api_base_url: 'http://api.tiny.com.br/api2',
    auth_base_url: null,
    credentials_secret_id: null,
  };
  assert.throws(
    () => adapterFor(null as never, conn as never),
    (e) => isAppError(e) && e.code === 'INSECURE_BASE_URL' && e.kind === 'config',
  );
});
