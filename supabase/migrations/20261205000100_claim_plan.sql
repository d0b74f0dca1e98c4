-- The claim's plans (issue #14: bookkeeping under 5 ms per connection). Measured with auto_explain on the dev stack
-- (dev/bench overhead probe: one claim at a time, 10,000 connections in the table):
--
-- 1. ROWS 1. erp_claim_next_due returns at most one row, but a set-returning function is estimated at 1,000
--    rows unless told otherwise. The statement that opens the log over its result (connections.ts claimNextDue:
--    a left join, the company's CNPJ and the checkpoints read per row) was then costed at ~250,000, above
--    PostgreSQL's jit_above_cost (100,000, with jit = on by default since PostgreSQL 12), and JIT-compiled on
--    every claim: 11 ms of a 14 ms claim. Estimated at one row it costs ~50 and runs in ~1 ms.
--    https://www.postgresql.org/docs/current/sql-createfunction.html (ROWS)
--    https://www.postgresql.org/docs/current/jit-decision.html
--
-- 2. The ordered walk of the due index, whatever the statistics say. The batch must read the due index in its
--    order and stop after 16 free rows; that costs the same at 10 or 10,000 due. When the statistics were taken
--    before the rows became due (an ANALYZE during the day, then the clock passes next_sync_at), the planner
--    estimates one due row, prefers a bitmap scan of every due row plus a sort, and the claim grows with the
--    backlog: 32 ms at 10,000 due in the bench, 2 ms with the walk. Bitmap scans and sorts are switched off for
--    the function's own statements only (a SET clause is scoped to the call).
--    https://www.postgresql.org/docs/current/runtime-config-query.html#RUNTIME-CONFIG-QUERY-ENABLE
--
-- A correction to 20261204000200: erp_account_is_free is not inlined into the batch (PostgreSQL never inlines a
-- scalar SQL function whose body holds a sub-select; the plan shows it as a per-row call). With the ordered walk
-- it is called for the rows the walk reads (the batch of 16 and the leased rows it skips), not for every due row.
alter function public.erp_claim_next_due(timestamptz, text, double precision, uuid[], uuid[], integer)
  rows 1
  set enable_bitmapscan = off
  set enable_sort = off;
