/**
 * NF-e ingest: parse + import notes/s against parse-only notes/s on the same files. The same method and the
 * same generated corpus as dev/bench/nfe-bench.ts (generateNotes with the same seed and company, pages of 250
 * documents, one database connection so its backend's CPU is measurable), as a function that returns numbers,
 * run against the dev database into a throwaway company this benchmark creates and deletes.
 */
import type postgres from 'postgres';
import process from 'node:process';
import { generateNotes } from '../../fixtures/nfe-builder.ts';
import type { Sql as AppSql } from '../../../supabase/functions/_shared/db/client.ts';
import { parseNfeDocument } from '../../../supabase/functions/_shared/nfe/mod.ts';
import { type ImportDocument, importNfeDocuments } from '../../../supabase/functions/_shared/nfe/import.ts';
import { realNow } from './clock.ts';

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
  method: string;
}

const COMPANY_CNPJ = '11222333000181'; // nfe-bench.ts's company

const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function backendCpu(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (!/\((postgres|postmaster)\)/.test(stat)) return null;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

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
  const c0 = ownCpu();
  for (const d of documents) parseNfeDocument(d.xml, { fileName: d.fileName });
  const parseSeconds = (realNow() - t0) / 1000;
  const parseCpu = ownCpu() - c0;

  const sql = connect();
  try {
    const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const companyId = crypto.randomUUID();
    track(companyId);
    await sql`insert into public.companies (id, name, cnpj) values (${companyId}, 'bench window nfe ingest (throwaway)', ${COMPANY_CNPJ})`;
    const importAll = async () => {
      const t = realNow();
      const c = ownCpu();
      const d = backendCpu(pid);
      for (let i = 0; i < documents.length; i += batch) {
        await importNfeDocuments(sql as unknown as AppSql, {
          companyId,
          connectionId: null,
          source: 'bench',
          documents: documents.slice(i, i + batch),
        });
      }
      const d1 = backendCpu(pid);
      return { seconds: (realNow() - t) / 1000, cpuMs: ownCpu() - c, dbCpuMs: d === null || d1 === null ? null : d1 - d };
    };
    const first = await importAll();
    const again = await importAll();
    await sql`delete from public.companies where id = ${companyId}`;
    const rate = (s: number) => generated.length / s;
    const importCpu = first.cpuMs + (first.dbCpuMs ?? 0);
    return {
      notes: generated.length,
      documents: documents.length,
      itemsPerNote: items / generated.length,
      kbPerDocument: bytes / documents.length / 1024,
      parseOnly: { seconds: parseSeconds, notesPerSec: rate(parseSeconds), cpuMs: parseCpu },
      parseImport: { seconds: first.seconds, notesPerSec: rate(first.seconds), cpuMs: first.cpuMs, dbCpuMs: first.dbCpuMs },
      reimport: { seconds: again.seconds, notesPerSec: rate(again.seconds) },
      ratio: rate(first.seconds) / rate(parseSeconds),
      cpuRatio: first.dbCpuMs === null ? null : parseCpu / importCpu,
      method: `nfe-bench.ts method: generateNotes(seed ${seed}), pages of ${batch} documents, one DB connection`,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
