-- Admission counts every background invocation still running, not only the chains' heads (issue 14): an
-- invocation that handed on keeps its database pool until its syncs in flight end, and the 2,000-connection bench
-- measured 59 invocations and 171 database connections alive under a ceiling of 10 chains meant for 100. The
-- run row no longer needs to say when it handed on (details.handed_on keeps it for the record).
drop index if exists public.erp_sync_runs_alive_idx;
alter table public.erp_sync_runs drop column if exists handed_on_at;
create index if not exists erp_sync_runs_alive_idx on public.erp_sync_runs (started_at) where status = 'running';
