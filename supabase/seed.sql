-- Demo data for the local stack (applied once, after the migrations, on a new database).
-- Connections and their Vault credentials are provisioned by the demo (dev/demo) against the ERP simulators.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-000000000001', 'demo@empresa-demo.com.br')
on conflict do nothing;
