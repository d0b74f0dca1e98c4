// Records that change after we read them: a product the ERP no longer lists is marked inactive by the next
// complete pass (never deleted; the NCM analysis counts active products only). Driven in-process against the test
// stack's database, with the engine's real dependencies and the Tiny adapter whose product list is replaced.
import assert from 'node:assert/strict';
import { adapterFor } from '../../functions/_shared/sync/adapter-context.ts';
import { type EngineDeps, syncConnection } from '../../functions/_shared/sync/engine.ts';
import { getConnection, leaseConnection } from '../../functions/_shared/db/connections.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import type { Page, Product } from '../../functions/_shared/adapters/contract.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

const product = (id: string): Product => ({
  externalId: id,
  code: `SKU-${id}`,
  name: `Produto ${id}`,
  ncm: '30049099',
  cest: null,
  unit: 'UN',
  price: '10.00',
  active: true,
});

stackTest(
  'a product removed in the ERP becomes inactive on the next complete pass, never deleted',
  async (env) => {
    const sql = sqlFor(env, 4);
    const f = new Fixture(sql, env);
    try {
      const { connectionId } = await f.connection({
        erp: 'tiny',
        nfeCount: 1,
        productCount: 1,
        financialCount: 1,
      });
      let listed = ['p1', 'p2', 'p3'];
      const deps: EngineDeps = {
        sql: sql as never,
        now: () => new Date(),
        adapterFor: (conn, signal) => ({
          ...adapterFor(sql as never, conn, signal),
          // the ERP's product list, two pages
          products: async function* (): AsyncGenerator<Page<Product>> {
            yield {
              records: listed.slice(0, 2).map(product),
              failed: [],
              checkpoint: { phase: 'products', page: 2 },
            };
            yield { records: listed.slice(2).map(product), failed: [], checkpoint: { phase: 'done' } };
          },
        }),
        importNfe: importNfeDocuments,
        trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 200 }),
        leaseSeconds: 30,
        owner: 'removed-test',
      };
      const sync = async () => {
        const conn = await leaseConnection(sql as never, connectionId, new Date(), deps.owner, 30);
        assert.ok(conn, 'lease');
        await syncConnection(deps, (await getConnection(sql as never, connectionId))!, {
          syncType: 'manual',
          runId: null,
        });
      };
      const state = async () =>
        Object.fromEntries(
          (await sql`select external_id, active from public.company_products where connection_id = ${connectionId}
                   order by external_id`).map((r) => [r.external_id, r.active]),
        );

      await sync();
      assert.deepEqual(await state(), { p1: true, p2: true, p3: true });

      listed = ['p1', 'p3']; // p2 deleted in the ERP
      await sync();
      assert.deepEqual(await state(), { p1: true, p2: false, p3: true }, 'kept, marked inactive');

      listed = []; // an empty answer proves nothing: nothing is marked
      await sync();
      assert.deepEqual(await state(), { p1: true, p2: false, p3: true });
    } finally {
      await f.cleanup();
      await sql.end();
    }
  },
);
