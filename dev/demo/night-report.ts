/** Prints a night report (erp-ops / erp_night_reports.report) as a few readable lines, for the demo. */
import type { NightReport } from '../../supabase/functions/_shared/ops/types.ts';

const secs = (ms: number | null | undefined) => (ms == null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export function formatNightReport(r: NightReport): string {
  const t = r.totals;
  const lines = [
    `Night of ${r.night} (noon to noon, Brasília)${r.complete ? '' : ' — still running'}`,
    `  window      ${r.window.start ?? '—'} → ${r.window.end ?? '—'}: ${r.window.seconds ?? 0} s ` +
    `(target ${r.window.target_seconds} s: ${r.window.within_target ? 'met' : 'MISSED'})`,
    `  due ${t.due} · synced ${t.synced} · partial ${t.partial} · failed ${t.failed} · interrupted ${t.interrupted} · ` +
    `skipped ${t.skipped}${Object.keys(r.skipped_reasons).length ? ` (${JSON.stringify(r.skipped_reasons)})` : ''}`,
    `  invocations ${r.invocations} (continuations ${r.continuations}, empty ${r.empty_invocations}) · syncs ${r.syncs}`,
    '  by ERP:',
    ...Object.entries(r.by_erp).map(([erp, s]) =>
      `    ${erp.padEnd(11)} due ${s.due} · synced ${s.synced} · partial ${s.partial} · failed ${s.failed} · ` +
      `skipped ${s.skipped} · p50 ${secs(s.p50_ms)} · p95 ${secs(s.p95_ms)}`
    ),
    `  errors by code: ${Object.keys(r.by_error_code).length ? JSON.stringify(r.by_error_code) : 'none'}` +
    (Object.keys(r.record_error_codes).length ? ` · failed records by code: ${JSON.stringify(r.record_error_codes)}` : ''),
    `  records: ${Object.entries(r.records_by_entity).map(([e, v]) => `${e} ${v.synced}${v.failed ? ` (+${v.failed} failed)` : ''}`).join(' · ') || 'none'}`,
  ];
  return lines.join('\n');
}
