/**
 * SQL every analysis shares: the company context (existence, profile, that the connection and log given belong
 * to it), the per-company lock that serialises re-runs, and the company_analysis_runs record.
 */
import { AppError } from '../../errors.ts';
import type { Sql, Tx } from '../../db/client.ts';
import type { Period } from './period.ts';
import { monthStart } from './period.ts';
import type { AnalysisRequest } from './request.ts';
import type { ProfileRow } from './regime.ts';

export type AnalysisName = 'credits' | 'ncm' | 'tax_score' | 'opportunities';

export interface CompanyContext {
  companyId: string;
  profile: ProfileRow | null;
}

/** 404 when the company does not exist; 400 when connection_id / log_id belong to another company or none. */
export async function loadCompanyContext(sql: Sql | Tx, req: AnalysisRequest): Promise<CompanyContext> {
  const [row] = await sql<
    {
      id: string;
      tax_regime: string | null;
      crt: number | null;
      cnae: string | null;
      uf: string | null;
      has_profile: boolean;
    }[]
  >`
    select c.id, p.tax_regime, p.crt, p.cnae, p.uf, (p.company_id is not null) as has_profile
    from public.companies c left join public.company_profile p on p.company_id = c.id
    where c.id = ${req.company_id}`;
  if (!row) throw new AppError('not_found', 'COMPANY_NOT_FOUND', `company ${req.company_id} not found`);
  if (req.connection_id) {
    const [c] = await sql<{ company_id: string }[]>`
      select company_id from public.erp_connections where id = ${req.connection_id}`;
    if (!c || c.company_id !== req.company_id) {
      throw new AppError(
        'bad_request',
        'INVALID_BODY',
        "invalid field 'connection_id': connection not found for this company",
        {
          details: { field: 'connection_id' },
        },
      );
    }
  }
  if (req.log_id) {
    const [l] = await sql<
      { company_id: string }[]
    >`select company_id from public.erp_sync_logs where id = ${req.log_id}`;
    if (!l || l.company_id !== req.company_id) {
      throw new AppError(
        'bad_request',
        'INVALID_BODY',
        "invalid field 'log_id': sync log not found for this company",
        {
          details: { field: 'log_id' },
        },
      );
    }
  }
  return {
    companyId: row.id,
    profile: row.has_profile
      ? { tax_regime: row.tax_regime, crt: row.crt, cnae: row.cnae, uf: row.uf }
      : null,
  };
}

/**
 * Runs `fn` in one transaction holding a per-(analysis, company) advisory lock, so two runs for the same company
 * never interleave their delete + insert. READ COMMITTED on purpose: after waiting for the lock, the loads see what
 * the previous run committed.
 */
export function inCompanyTransaction<T>(
  sql: Sql,
  analysis: AnalysisName,
  companyId: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${'analysis:' + analysis}), hashtext(${companyId}))`;
    return await fn(tx);
  }) as Promise<T>;
}

export interface RunRecord {
  analysis: AnalysisName;
  companyId: string;
  status: 'success' | 'no_data';
  period: Period;
  rulesVersion: string;
  summary: Record<string, unknown>;
  warnings: Array<{ code: string; message: string }>;
  connectionId?: string;
  logId?: string;
  startedAt: Date;
}

export async function recordRun(tx: Tx, r: RunRecord): Promise<void> {
  await tx`
    insert into public.company_analysis_runs
      (company_id, analysis, status, period_from, period_to, rules_version, summary, warnings, connection_id, log_id,
       started_at, completed_at)
    values (${r.companyId}, ${r.analysis}, ${r.status}, ${monthStart(r.period.from)}, ${
    monthStart(r.period.to)
  },
      ${r.rulesVersion}, ${tx.json(r.summary as never)}, ${tx.json(r.warnings as never)}, ${
    r.connectionId ?? null
  },
      ${r.logId ?? null}, ${r.startedAt}, now())
    on conflict (company_id, analysis) do update set
      status = excluded.status, period_from = excluded.period_from, period_to = excluded.period_to,
      rules_version = excluded.rules_version, summary = excluded.summary, warnings = excluded.warnings,
      connection_id = excluded.connection_id, log_id = excluded.log_id, started_at = excluded.started_at,
      completed_at = excluded.completed_at`;
}

/**
 * Inserts rows in chunks (one statement per chunk), keeping well under the 65,535-parameter limit. jsonb columns
 * take the objects/arrays themselves: postgres.js serialises each parameter by the type the server infers (a
 * JSON string given for a jsonb column would be stored as a JSON string scalar).
 */
export async function insertChunks<T extends Record<string, unknown>>(
  tx: Tx,
  table: string,
  rows: T[],
  columns: (keyof T & string)[],
  chunk = 500,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    await tx`insert into ${tx(table)} ${tx(part as never, columns as never)}`;
  }
}
