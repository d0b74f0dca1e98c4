-- When an entity last finished a pass: set by the final checkpoint of a sync (the engine's close), cleared by a
-- checkpoint written on the way. A sync resumed after a stop (CPU budget, deadline) skips the entities its
-- earlier attempts finished since the last finished sync (erp_connections.last_sync_at), instead of reading their
-- windows again (issue 14: in the 2,000-connection bench every resumed attempt fetched the night's NF-e again).
alter table public.erp_sync_checkpoints add column if not exists finished_at timestamptz;

comment on column public.erp_sync_checkpoints.finished_at is
  'When the entity last finished (final checkpoint); null while a pass is under way. Compared with last_sync_at.';
