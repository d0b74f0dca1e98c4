-- Chains of erp-auto-sync invocations (issue 14): a run row counts as its chain until it hands the rest of the
-- night to a continuation. Admission counts the running rows not handed on, so this index keeps it cheap.
alter table public.erp_sync_runs add column if not exists handed_on_at timestamptz;
create index if not exists erp_sync_runs_alive_idx on public.erp_sync_runs (started_at)
  where status = 'running' and handed_on_at is null;
