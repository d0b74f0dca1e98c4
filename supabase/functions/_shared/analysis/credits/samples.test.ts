/**
 * The analyses on real NF-e files from <repo>/../shared/nfe-samples/ (never copied into the repo), through the
 * real import (_shared/nfe/import.ts) into the TEST stack. Each file is imported for a company whose CNPJ is the
 * note's recipient, so the company is the buyer. Expected values were written by reading each XML (dhEmi, tpAmb,
 * protocol, det/vProd, ICMS group/CST/CSOSN, PIS/COFINS CST, NCM, CFOP) and applying the rules by hand.
 * Skipped with a message when the corpus or the stack is absent.
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../../tests/helpers.ts';
import { connect } from '../../db/client.ts';
import { importNfeDocuments } from '../../nfe/import.ts';
import { runNcmAnalysis } from '../ncm/mod.ts';
import { createCompany, deleteCompany } from '../testing/db.ts';
import { runCreditAnalysis } from './mod.ts';

const REPO = new URL('../../../../../', import.meta.url);
const SAMPLES = new URL('../shared/nfe-samples/', REPO);

function readSample(name: string): string | null {
  try {
    return Deno.readTextFileSync(new URL(name, SAMPLES));
  } catch {
    return null;
  }
}

interface Case {
  file: string;
  recipient: string;
  month: string;
  /** [notes_total, notes_cancelled, notes_excluded, notes_analyzed, items_analyzed] */
  counts: [number, number, number, number, number];
  purchases: string;
  /** [pis, cofins, icms, st_charged, st_retained] */
  credits: [string, string, string, string, string];
  rules: Record<string, number>;
  /** [pis, cofins, icms] to confirm (default all zero). */
  toConfirm?: [string, string, string];
}

const CASES: Case[] = [
  {
    // PE supplier, 3 items CFOP 6102, ICMS40; PIS/COFINS 07, 07, 06; vProd 2,490 + 2,490 + 800.
    file: 'akretion__nfelib__26180875335849000115550010000016871192213331-nfe.xml',
    recipient: '37148260000119',
    month: '2018-08',
    counts: [1, 0, 0, 1, 3],
    purchases: '5780.00',
    credits: ['0.00', '0.00', '0.00', '0.00', '0.00'],
    rules: { ICMS_NOT_TAXED: 3, PC_CST_NOT_CREDITABLE: 3 },
  },
  {
    // Cancelled (retEvento 110111 inside nfeProc): 2 ICMS00 items with PIS/COFINS 01 that would otherwise count.
    file: 'nfephp-org__sped-da__cancelada_55_new.xml',
    recipient: '10702368000155',
    month: '2021-02',
    counts: [1, 1, 0, 0, 0],
    purchases: '0.00',
    credits: ['0.00', '0.00', '0.00', '0.00', '0.00'],
    rules: { NOTE_CANCELLED: 2 },
  },
  {
    // NFC-e to a CNPJ, cStat 150, tpAmb 1, CFOP 5405, CSOSN 500 (ST retained; vICMSSTRet not imported → 0),
    // PIS/COFINS 49 from a CRT 1 supplier: a PIS/COFINS credit candidate since rules 2026.12 (ADI RFB 15/2007) but
    // "to confirm" (no entry CFOP: use unknown); NCM 2105.00.10 ×2 (12.00 each) and 2201.10.00 ×2 (3.00 each, cold
    // drinks: monophasic). To confirm: PIS 2 × (12.00 × 1,65% = 0.198 → 0.20) = 0.40; COFINS 2 × (12.00 × 7,6% =
    // 0.912 → 0.91) = 1.82.
    file: 'nfephp-org__sped-da__nfce112_2.xml',
    recipient: '10422724000187',
    month: '2020-03',
    counts: [1, 0, 0, 1, 4],
    purchases: '30.00',
    credits: ['0.00', '0.00', '0.00', '0.00', '0.00'],
    rules: { ICMS_ST_RETAINED: 4, PC_MONOPHASIC_NCM: 2, PC_SIMPLES_SUPPLIER: 2 },
    toConfirm: ['0.40', '1.82', '0.00'],
  },
  {
    // tpAmb 2 (homologation): excluded.
    file: 'nfephp-org__sped-nfe__nfe_layout4_com_prot.xml',
    recipient: '58716523000119',
    month: '2018-09',
    counts: [1, 0, 1, 0, 0],
    purchases: '0.00',
    credits: ['0.00', '0.00', '0.00', '0.00', '0.00'],
    rules: { NOTE_HOMOLOGATION: 1 },
  },
  {
    // Bare NFe without protocol: the import stores it as 'unauthorized' → excluded (3 items).
    file: 'Engenere__BrazilFiscalReport__nfe_mei.xml',
    recipient: '02364958000197',
    month: '2025-01',
    counts: [1, 0, 1, 0, 0],
    purchases: '0.00',
    credits: ['0.00', '0.00', '0.00', '0.00', '0.00'],
    rules: { NOTE_NOT_AUTHORIZED: 3 },
  },
];

const missing = CASES.filter((c) => readSample(c.file) === null);
if (missing.length) {
  console.log(
    `[analysis samples] ${SAMPLES.pathname}: ${missing.length} file(s) not found, those cases are skipped`,
  );
}

stackTest('analyze-credits on the public NF-e samples (Lucro Real buyer)', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const created: string[] = [];
  try {
    for (const k of CASES) {
      const xml = readSample(k.file);
      if (xml === null) continue;
      const c = await createCompany(sql, { cnpj: k.recipient, regime: 'lucro_real', crt: 3 });
      created.push(c.id);
      const imp = await importNfeDocuments(sql, { companyId: c.id, documents: [{ xml, fileName: k.file }] });
      assert.equal(imp.failed.length, 0, `${k.file}: ${JSON.stringify(imp.failed)}`);
      const r = await runCreditAnalysis(sql, { company_id: c.id, period_from: k.month, period_to: k.month });
      const t = r.totals;
      assert.deepEqual(
        [t.notes_total, t.notes_cancelled, t.notes_excluded, t.notes_analyzed, t.items_analyzed],
        k.counts,
        k.file,
      );
      assert.equal(t.purchases_value, k.purchases, k.file);
      assert.deepEqual(
        [t.pis_credit, t.cofins_credit, t.icms_credit, t.st_charged, t.st_retained],
        k.credits,
        k.file,
      );
      assert.deepEqual(
        [t.to_confirm_pis_credit, t.to_confirm_cofins_credit, t.to_confirm_icms_credit],
        k.toConfirm ?? ['0.00', '0.00', '0.00'],
        k.file,
      );
      const [m] = await sql<{ rule_counts: Record<string, number> }[]>`
        select rule_counts from public.company_credit_analysis where company_id = ${c.id}`;
      assert.deepEqual(m.rule_counts, k.rules, k.file);

      if (k.file.includes('nfce112_2')) {
        const n = await runNcmAnalysis(sql, { company_id: c.id, period_from: k.month, period_to: k.month });
        assert.equal(n.totals.ncms, 2);
        const rows = await sql<
          { ncm: string; items_in: number; value_in: string; monophasic_group: string | null }[]
        >`
          select ncm, items_in, value_in, monophasic_group from public.company_ncm_analysis where company_id = ${c.id} order by ncm`;
        assert.deepEqual(rows.map((x) => [x.ncm, x.items_in, x.value_in, x.monophasic_group]), [
          ['21050010', 2, '24.00', null],
          ['22011000', 2, '6.00', 'cold_drinks'],
        ]);
      }
    }
  } finally {
    for (const id of created) await deleteCompany(sql, id);
    await sql.end();
  }
}, { ignore: missing.length === CASES.length });
