-- Issue #14: a running log whose process died (an isolate killed at its wall clock or CPU limit runs no code) is
-- closed by the database's minute job within one lease period: its connection's lease lapsed or was released, or
-- no heartbeat came for 0.8 of the lease (lease_expires_at - heartbeat_at at the last beat). Live syncs, whose
-- heartbeat is recent, are left alone.
begin;
select plan(8);

insert into companies (id, name) values ('eeeeeeee-0000-4000-8000-000000000001', 'Empresa E');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, lease_owner, lease_expires_at) values
  -- live: beat 10 s ago, lease of 300 s renewed then
  ('eeeeeeee-1111-4000-8000-000000000001', 'eeeeeeee-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'e1', 'w', now() + interval '290 seconds'),
  -- dead: last beat 250 s ago (lease of 300 s: 0.8 × 300 = 240 s without a beat)
  ('eeeeeeee-1111-4000-8000-000000000002', 'eeeeeeee-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'e2', 'w', now() + interval '50 seconds'),
  -- dead: its lease lapsed
  ('eeeeeeee-1111-4000-8000-000000000003', 'eeeeeeee-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'e3', 'w', now() - interval '1 second'),
  -- dead: its lease was released (the process ended without closing its log)
  ('eeeeeeee-1111-4000-8000-000000000004', 'eeeeeeee-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'e4', null, null),
  -- live: one beat late (last beat 150 s ago of a 300 s lease)
  ('eeeeeeee-1111-4000-8000-000000000005', 'eeeeeeee-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'e5', 'w', now() + interval '150 seconds');

insert into erp_sync_logs (connection_id, company_id, sync_type, status, started_at, heartbeat_at)
select c.id, c.company_id, 'auto', 'running', now() - interval '20 minutes', now() - make_interval(secs => ago)
  from erp_connections c join (values
    ('eeeeeeee-1111-4000-8000-000000000001'::uuid, 10),
    ('eeeeeeee-1111-4000-8000-000000000002'::uuid, 250),
    ('eeeeeeee-1111-4000-8000-000000000003'::uuid, 299),
    ('eeeeeeee-1111-4000-8000-000000000004'::uuid, 30),
    ('eeeeeeee-1111-4000-8000-000000000005'::uuid, 150)) as h(id, ago) on h.id = c.id;

select is(public.erp_interrupt_dead_logs(), 3, 'three dead logs closed');
select results_eq($$select connection_id::text, status from erp_sync_logs
                    where connection_id::text like 'eeeeeeee-1111-%' order by connection_id$$,
  $$values ('eeeeeeee-1111-4000-8000-000000000001', 'running'),
           ('eeeeeeee-1111-4000-8000-000000000002', 'interrupted'),
           ('eeeeeeee-1111-4000-8000-000000000003', 'interrupted'),
           ('eeeeeeee-1111-4000-8000-000000000004', 'interrupted'),
           ('eeeeeeee-1111-4000-8000-000000000005', 'running')$$,
  'live syncs keep running, dead ones are interrupted');
select ok((select bool_and(completed_at is not null and duration_ms >= 20 * 60 * 1000 and error_message like 'Sincronização interrompida%')
             from erp_sync_logs where status = 'interrupted' and connection_id::text like 'eeeeeeee-1111-%'),
  'closed with the time it ran and a pt-BR message');
select is(public.erp_interrupt_dead_logs(), 0, 'idempotent: nothing left to close');

-- The fake clock: the late one dies when its beats stop (0.8 × 300 s after its last beat, not before).
select is(public.erp_interrupt_dead_logs(now() + interval '89 seconds'), 0, '239 s without a beat: not yet');
select is(public.erp_interrupt_dead_logs(now() + interval '91 seconds'), 1, '241 s without a beat: dead');

-- The minute job closes them before its due-check (nothing is due here).
update erp_connections set next_sync_at = now() + interval '1 day' where next_sync_at is null or next_sync_at <= now();
insert into erp_sync_logs (connection_id, company_id, sync_type, status, started_at, heartbeat_at)
values ('eeeeeeee-1111-4000-8000-000000000004', 'eeeeeeee-0000-4000-8000-000000000001', 'auto', 'running', now(), now());
select lives_ok($$select public.invoke_erp_auto_sync_if_due()$$, 'the minute job runs');
select results_eq($$select count(*)::int from erp_sync_logs where connection_id = 'eeeeeeee-1111-4000-8000-000000000004' and status = 'running'$$,
  $$values (0)$$, 'the minute job closed the dead log');

select * from finish();
rollback;
