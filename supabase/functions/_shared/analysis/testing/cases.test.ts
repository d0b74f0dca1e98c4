/**
 * The law-based suite (issue 16): every file under cases/credits, cases/ncm and cases/score is one situation written
 * from the law first — the situation in words, its legal basis, the input, and the expected figures computed by
 * hand with the arithmetic shown — and then run through the pure rules. Only the fields a case names are compared.
 * Format: cases/README.md.
 */
import assert from 'node:assert/strict';
import { analyzeCredits, type CreditItem, type CreditNote, type ItemUse } from '../credits/rules.ts';
import { analyzeNcm, type NcmItem, type NcmNote } from '../ncm/rules.ts';
import { computeTaxScore } from '../score/rules.ts';
import { buildFacts, type FactsInput } from '../common/facts.ts';
import { resolveRegime } from '../common/regime.ts';
import type { Period } from '../common/period.ts';

const DIR = new URL('./cases/', import.meta.url);

interface CaseBase {
  id: string;
  title: string;
  situation: string;
  legal_basis: string[];
  arithmetic: string[];
  regime?: { tax_regime: string | null; crt: number | null } | null;
  period: Period;
}

interface CaseNote {
  id: string;
  issued_local: string;
  status?: string;
  environment?: number;
  direction?: 'entrada' | 'saida';
  operation?: 'entrada' | 'saida';
  purpose?: number;
  issuer_doc?: string;
  issuer_crt?: number | null;
  recipient_doc?: string;
}

interface CaseItem {
  note: string;
  n: number;
  product_code?: string;
  ncm?: string | null;
  cfop?: string;
  value: string;
  discount?: string;
  icms?: {
    group?: string;
    cst?: string;
    csosn?: string;
    value?: string;
    st_value?: string;
    sn_credit?: string;
  };
  pis_cst?: string | null;
  cofins_cst?: string | null;
  pis_value?: string;
  cofins_value?: string;
}

interface CreditCase extends CaseBase {
  notes: CaseNote[];
  items: CaseItem[];
  entries?: Array<{ note: string; n: number; entry_cfop: string }>;
  classifications?: Array<{ supplier_doc: string; product_code: string; use: ItemUse }>;
  expected: {
    totals?: Record<string, string | number>;
    lines?: Array<{ note: string; n: number } & Record<string, unknown>>;
  };
}

interface NcmCase extends CaseBase {
  notes: CaseNote[];
  items: CaseItem[];
  products?: Array<{ code: string; ncm: string | null; active?: boolean }>;
  expected: {
    totals?: Record<string, unknown>;
    rows: Array<{ ncm: string; flags?: string[] } & Record<string, unknown>>;
  };
}

interface ScoreCase extends CaseBase {
  facts: Omit<FactsInput, 'period'>;
  expected: {
    status: string;
    score: number | null;
    components?: Record<string, { score: number | null; available?: boolean; effective_weight?: number }>;
  };
}

const SUPPLIER = '11111111000191';

function keyOf(notes: CaseNote[], id: string): string {
  const i = notes.findIndex((n) => n.id === id);
  assert.ok(i >= 0, `note ${id} not in the case`);
  return `3526${String(i + 1).padStart(40, '0')}`;
}

function creditNotes(c: { notes: CaseNote[] }): CreditNote[] {
  return c.notes.map((n) => ({
    id: n.id,
    access_key: keyOf(c.notes, n.id),
    issued_at: new Date(n.issued_local).toISOString(),
    issued_at_local: n.issued_local,
    status: n.status ?? 'authorized',
    environment: n.environment ?? 1,
    direction: n.direction ?? 'entrada',
    operation: n.operation ?? 'saida',
    purpose: n.purpose ?? 1,
    issuer_doc: n.issuer_doc ?? SUPPLIER,
    issuer_name: 'Fornecedor',
    issuer_crt: n.issuer_crt === undefined ? 3 : n.issuer_crt,
    recipient_doc: n.recipient_doc ?? null,
    recipient_name: null,
  }));
}

function creditItems(c: { items: CaseItem[] }): CreditItem[] {
  return c.items.map((i) => ({
    xml_import_id: i.note,
    item_number: i.n,
    product_code: i.product_code ?? `P${i.n}`,
    description: `Item ${i.n}`,
    ncm: i.ncm === undefined ? '94033000' : i.ncm,
    cfop: i.cfop ?? '5102',
    total_value: i.value,
    discount: i.discount ?? '0.00',
    icms_group: i.icms?.group ?? null,
    icms_cst: i.icms?.cst ?? null,
    icms_csosn: i.icms?.csosn ?? null,
    icms_value: i.icms?.value ?? null,
    icms_st_value: i.icms?.st_value ?? null,
    icms_sn_credit: i.icms?.sn_credit ?? null,
    pis_cst: i.pis_cst === undefined ? '01' : i.pis_cst,
    cofins_cst: i.cofins_cst === undefined ? '01' : i.cofins_cst,
    pis_value: i.pis_value ?? null,
    cofins_value: i.cofins_value ?? null,
  }));
}

function regimeOf(c: CaseBase) {
  return resolveRegime(c.regime === null ? null : c.regime ?? { tax_regime: 'lucro_real', crt: 3 });
}

function load<T extends CaseBase>(kind: string): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  for (const e of Deno.readDirSync(new URL(`${kind}/`, DIR))) {
    if (!e.isFile || !e.name.endsWith('.json')) continue;
    const c = JSON.parse(Deno.readTextFileSync(new URL(`${kind}/${e.name}`, DIR))) as T;
    for (
      const k of ['id', 'title', 'situation', 'legal_basis', 'arithmetic', 'period', 'expected'] as const
    ) {
      assert.ok(k in c && (c as unknown as Record<string, unknown>)[k], `${e.name}: "${k}" is required`);
    }
    assert.ok(c.legal_basis.length > 0 && c.arithmetic.length > 0, `${e.name}: legal basis and arithmetic`);
    out.push([e.name, c]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

const credit = load<CreditCase>('credits');
const ncm = load<NcmCase>('ncm');
const score = load<ScoreCase>('score');

Deno.test('law-based suite: at least 20 credit cases and 10 NCM/score cases', () => {
  assert.ok(credit.length >= 20, `credit cases: ${credit.length}`);
  assert.ok(ncm.length + score.length >= 10, `NCM/score cases: ${ncm.length + score.length}`);
});

for (const [file, c] of credit) {
  Deno.test(`law case ${c.id} (${file}): ${c.title}`, () => {
    const notes = creditNotes(c);
    const r = analyzeCredits({
      regime: regimeOf(c),
      period: c.period,
      notes,
      items: creditItems(c),
      entries: (c.entries ?? []).map((e) => ({
        access_key: keyOf(c.notes, e.note),
        item_number: e.n,
        entry_cfop: e.entry_cfop,
      })),
      classifications: c.classifications ?? [],
    });
    for (const [k, v] of Object.entries(c.expected.totals ?? {})) {
      assert.equal((r.totals as unknown as Record<string, unknown>)[k], v, `${c.id} totals.${k}`);
    }
    for (const want of c.expected.lines ?? []) {
      const line = r.lines.find((l) => l.xml_import_id === want.note && l.item_number === want.n);
      assert.ok(line, `${c.id}: line ${want.note}/${want.n} missing`);
      for (const [k, v] of Object.entries(want)) {
        if (k === 'note' || k === 'n') continue;
        assert.equal(
          (line as unknown as Record<string, unknown>)[k],
          v,
          `${c.id} line ${want.note}/${want.n}.${k}`,
        );
      }
      assert.ok(
        line.pis_cofins_legal_basis && line.icms_legal_basis,
        `${c.id}: every line names its legal basis`,
      );
    }
  });
}

for (const [file, c] of ncm) {
  Deno.test(`law case ${c.id} (${file}): ${c.title}`, () => {
    const r = analyzeNcm({
      period: c.period,
      notes: c.notes.map((n): NcmNote => ({
        id: n.id,
        issued_at: new Date(n.issued_local).toISOString(),
        issued_at_local: n.issued_local,
        status: n.status ?? 'authorized',
        environment: n.environment ?? 1,
        direction: n.direction ?? 'entrada',
        operation: n.operation ?? 'saida',
        issuer_doc: n.issuer_doc ?? SUPPLIER,
      })),
      items: c.items.map((i): NcmItem => ({
        xml_import_id: i.note,
        item_number: i.n,
        product_code: i.product_code ?? `P${i.n}`,
        description: `Item ${i.n}`,
        ncm: i.ncm === undefined ? '94033000' : i.ncm,
        total_value: i.value,
        discount: i.discount ?? '0.00',
      })),
      products: (c.products ?? []).map((p) => ({
        code: p.code,
        name: p.code,
        ncm: p.ncm,
        active: p.active ?? true,
      })),
    });
    for (const [k, v] of Object.entries(c.expected.totals ?? {})) {
      assert.deepEqual((r.totals as unknown as Record<string, unknown>)[k], v, `${c.id} totals.${k}`);
    }
    for (const want of c.expected.rows) {
      const row = r.rows.find((x) => x.ncm === want.ncm);
      assert.ok(row, `${c.id}: row ${want.ncm} missing`);
      for (const [k, v] of Object.entries(want)) {
        if (k === 'ncm') continue;
        if (k === 'flags') {
          assert.deepEqual(
            row.flags.map((f) => f.code).sort(),
            (v as string[]).slice().sort(),
            `${c.id} ${want.ncm} flags`,
          );
        } else {assert.deepEqual(
            (row as unknown as Record<string, unknown>)[k],
            v,
            `${c.id} ${want.ncm}.${k}`,
          );}
      }
    }
  });
}

for (const [file, c] of score) {
  Deno.test(`law case ${c.id} (${file}): ${c.title}`, () => {
    const r = computeTaxScore(buildFacts({ period: c.period, ...c.facts }), regimeOf(c));
    assert.equal(r.status, c.expected.status, `${c.id} status`);
    assert.equal(r.score, c.expected.score, `${c.id} score`);
    for (const [id, want] of Object.entries(c.expected.components ?? {})) {
      const comp = r.components.find((x) => x.id === id);
      assert.ok(comp, `${c.id}: component ${id}`);
      assert.equal(comp.score, want.score, `${c.id} ${id}.score`);
      if (want.available !== undefined) {
        assert.equal(comp.available, want.available, `${c.id} ${id}.available`);
      }
      if (want.effective_weight !== undefined) {
        assert.equal(comp.effective_weight, want.effective_weight, `${c.id} ${id}.effective_weight`);
      }
    }
  });
}
