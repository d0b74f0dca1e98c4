/**
 * NF-e ingest as a function: parse only vs parse + import vs re-import of a seeded corpus into a throwaway company.
 */
import type postgres from 'postgres';
import { generateNotes } from '../../fixtures/nfe-builder.ts';
import type { Sql as AppSql } from '../../../supabase/functions/_shared/db/client.ts';
import { parseNfeDocument } from '../../../supabase/functions/_shared/nfe/mod.ts';
import { type ImportDocument, importNfeDocuments } from '../../../supabase/functions/_shared/nfe/import.ts';
import { realNow } from './clock.ts';
import { backendCpuMs, selfCpuMs } from './env.ts';

type Sql = postgres.Sql<Record<string, never>>;

export interface IngestResult {
  notes: number;
  documents: number;
  itemsPerNote: number;
  kbPerDocument: number;
  parseOnly: { seconds: number; notesPerSec: number; cpuMs: number };
  parseImport: { seconds: number; notesPerSec: number; cpuMs: number; dbCpuMs: number | null };
  reimport: { seconds: number; notesPerSec: number };
  ratio: number;
  cpuRatio: number | null;
  /** 'ok' when the database holds every note, item and cancellation imported, else what it holds. */
  check: string;
  method: string;
}

const COMPANY_CNPJ = '11222333000181';

export async function measureIngest(
  connect: () => Sql,
  notesN: number,
  track: (companyId: string) => void,
  seed = 42,
  batch = 250,
): Promise<IngestResult> {
  const generated = generateNotes({ seed, count: notesN, companyCnpj: COMPANY_CNPJ });
  const documents: ImportDocument[] = [];
  for (const n of generated) {
    documents.push({ xml: n.xml, externalId: n.accessKey, fileName: `${n.accessKey}-procNFe.xml` });
    for (const e of n.events) documents.push({ xml: e.xml, fileName: `${e.tpEvento}-${n.accessKey}.xml` });
  }
  const items = generated.reduce((a, n) => a + n.items.length, 0);
  const bytes = documents.reduce((a, d) => a + d.xml.length, 0);
  for (const d of documents.slice(0, 200)) parseNfeDocument(d.xml); // warm the JIT

  const t0 = realNow();
  const c0 = selfCpuMs();
  let parsed = 0;
  for (const d of documents) parsed += parseNfeDocument(d.xml, { fileName: d.fileName }).notes.length;
  if (parsed !== generated.length) throw new Error(`parsed ${parsed} notes, expected ${generated.length}`);
  const parseSeconds = (realNow() - t0) / 1000;
  const parseCpu = selfCpuMs() - c0;

  const sql = connect();
  try {
    const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const companyId = crypto.randomUUID();
    track(companyId);
    await sql`insert into public.companies (id, name, cnpj) values (${companyId}, 'bench nfe ingest (throwaway)', ${COMPANY_CNPJ})`;
    const importAll = async () => {
      const t = realNow();
      const c = selfCpuMs();
      const d = backendCpuMs(pid);
      let failed = 0;
      for (let i = 0; i < documents.length; i += batch) {
        const r = await importNfeDocuments(sql as unknown as AppSql, {
          companyId,
          connectionId: null,
          source: 'bench',
          documents: documents.slice(i, i + batch),
        });
        failed += r.failed.length;
      }
      const d1 = backendCpuMs(pid);
      return { seconds: (realNow() - t) / 1000, cpuMs: selfCpuMs() - c, dbCpuMs: d === null || d1 === null ? null : d1 - d, failed };
    };
    const first = await importAll();
    const [{ n, i, c }] = await sql<{ n: number; i: number; c: number }[]>`
      select (select count(*)::int from public.xml_imports where company_id = ${companyId}) as n,
             (select count(*)::int from public.xml_import_items where company_id = ${companyId}) as i,
             (select count(*)::int from public.xml_imports where company_id = ${companyId} and status = 'cancelled') as c`;
    const cancelled = generated.filter((g) => g.cancelled).length;
    const again = await importAll();
    await sql`delete from public.companies where id = ${companyId}`;
    const rate = (s: number) => generated.length / s;
    return {
      notes: generated.length,
      documents: documents.length,
      itemsPerNote: items / generated.length,
      kbPerDocument: bytes / documents.length / 1024,
      parseOnly: { seconds: parseSeconds, notesPerSec: rate(parseSeconds), cpuMs: parseCpu },
      parseImport: { seconds: first.seconds, notesPerSec: rate(first.seconds), cpuMs: first.cpuMs, dbCpuMs: first.dbCpuMs },
      reimport: { seconds: again.seconds, notesPerSec: rate(again.seconds) },
      ratio: rate(first.seconds) / rate(parseSeconds),
      cpuRatio: first.dbCpuMs === null ? null : parseCpu / (first.cpuMs + first.dbCpuMs),
      check: n === generated.length && i === items && c === cancelled && first.failed === 0
        ? 'ok'
        : `MISMATCH (${n} notes, ${i} items, ${c} cancelled, ${first.failed} failed)`,
      method: `nfe-bench.ts method: generateNotes(seed ${seed}), pages of ${batch} documents, one DB connection`,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
