/**
 * Which notes the tax score and the opportunities read (TEST stack): only valid notes (authorised, not
 * homologation — tpAmb 2 is a test note with no fiscal effect) of the window, and on the right side — the
 * score's debits come from the company's own sales (direction saída, operation saída); the opportunities
 * compare purchases the company received with ICMS-ST (direction entrada, operation saída on the supplier's
 * note) against its own sales. Each excluded note carries a value that would change the result if it counted.
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../tests/helpers.ts';
import { connect } from '../db/client.ts';
import { loadFactsInput } from './common/facts-sql.ts';
import { loadStRows } from './opportunities/sql.ts';
import { createCompany, deleteCompany, insertNote } from './testing/db.ts';

const PERIOD = { from: '2026-09', to: '2026-09' };
const AT = '2026-09-15T10:00:00-03:00';
const SUPPLIER = '11222333000181';

stackTest(
  'tax score: debits only from valid own sales (no purchases, no homologation, no cancelled)',
  async (env) => {
    const sql = connect(env.DB_URL, 2);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    try {
      const sale = {
        issued_at_local: AT,
        direction: 'saida' as const,
        operation: 'saida' as const,
        issuer_doc: c.cnpj,
      };
      await insertNote(
        sql,
        c.id,
        { ...sale, total_icms: '100.00', total_pis: '1.65', total_cofins: '7.60' },
        [
          { total_value: '1000.00' },
        ],
      );
      // Excluded: a homologation sale, a supplier's note (a purchase), a company note of operation entrada (a
      // return / entry note), a cancelled sale, an unauthorised one, a sale outside the window.
      await insertNote(sql, c.id, { ...sale, environment: 2, total_icms: '90000.00' }, [{
        total_value: '1.00',
      }]);
      await insertNote(sql, c.id, {
        issued_at_local: AT,
        direction: 'entrada',
        operation: 'saida',
        issuer_doc: SUPPLIER,
        total_icms: '80000.00',
      }, [{ total_value: '1.00' }]);
      await insertNote(sql, c.id, { ...sale, operation: 'entrada', total_icms: '70000.00' }, [{
        total_value: '1.00',
      }]);
      await insertNote(sql, c.id, { ...sale, status: 'cancelled', total_icms: '60000.00' }, [{
        total_value: '1.00',
      }]);
      await insertNote(sql, c.id, { ...sale, status: 'unauthorized', total_icms: '50000.00' }, [
        { total_value: '1.00' },
      ]);
      await insertNote(sql, c.id, {
        ...sale,
        issued_at_local: '2026-10-01T00:30:00-03:00',
        total_icms: '40000.00',
      }, [
        { total_value: '1.00' },
      ]);

      const facts = await loadFactsInput(sql, c.id, PERIOD);
      assert.deepEqual(
        facts.sales.map((s) => ({
          ...s,
          icms: Number(s.icms),
          pis: Number(s.pis),
          cofins: Number(s.cofins),
        })),
        [{ month: '2026-09', notes: 1, icms: 100, pis: 1.65, cofins: 7.6, value: '1000.00' }],
      );
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);

stackTest(
  'opportunities: ST purchases received vs own sales, homologation and wrong sides excluded',
  async (env) => {
    const sql = connect(env.DB_URL, 2);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    const NCM = '22021000';
    const item = (quantity: string, st: string | null) => ({
      ncm: NCM,
      unit: 'UN',
      quantity,
      total_value: '10.00',
      icms_st_base: st,
      icms_st_value: st ? '1.00' : null,
    });
    try {
      const purchase = {
        issued_at_local: AT,
        direction: 'entrada' as const,
        operation: 'saida' as const,
        issuer_doc: SUPPLIER,
      };
      const sale = {
        issued_at_local: AT,
        direction: 'saida' as const,
        operation: 'saida' as const,
        issuer_doc: c.cnpj,
      };
      await insertNote(sql, c.id, purchase, [item('10', '100.00')]);
      await insertNote(sql, c.id, sale, [item('4', null)]);
      // Excluded purchases: homologation, cancelled, an entry note the company issued itself (operation entrada),
      // and an ST item on the company's own sale (not a purchase).
      await insertNote(sql, c.id, { ...purchase, environment: 2 }, [item('1000', '100.00')]);
      await insertNote(sql, c.id, { ...purchase, status: 'cancelled' }, [item('2000', '100.00')]);
      await insertNote(sql, c.id, { ...purchase, operation: 'entrada', issuer_doc: c.cnpj }, [
        item('3000', '100.00'),
      ]);
      await insertNote(sql, c.id, sale, [item('5', '100.00')]);
      // Excluded sales: homologation, a supplier's note, a company note of operation entrada.
      await insertNote(sql, c.id, { ...sale, environment: 2 }, [item('700', null)]);
      await insertNote(sql, c.id, { ...sale, direction: 'entrada', issuer_doc: SUPPLIER }, [
        item('800', null),
      ]);
      await insertNote(sql, c.id, { ...sale, operation: 'entrada' }, [item('900', null)]);

      const rows = await loadStRows(sql as never, c.id, PERIOD);
      assert.deepEqual(
        rows.map((r) => [r.ncm, r.unit, Number(r.qty), r.items, Number(r.sold_qty), r.sold_items]),
        [
          [NCM, 'UN', 10, 1, 9, 2],
        ],
      );
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);
