-- Tiny (Olist ERP) has two APIs: the token API v2 and the OAuth2 API v3. A Tiny connection says which one it
-- uses in `api_version` ('v2', or null for the connections made before v3 existed, or 'v3'); the adapter
-- registry picks the adapter from it (supabase/functions/_shared/adapters/registry.ts). Other ERPs have one API
-- and leave it null. Credentials differ per API (v2: { token }; v3: the OAuth pair), see docs/tiny-v3.md.
alter table public.erp_connections add column if not exists api_version text;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'erp_connections_api_version_check') then
    alter table public.erp_connections add constraint erp_connections_api_version_check
      check (api_version is null or (erp_type = 'tiny' and api_version in ('v2', 'v3')));
  end if;
end
$$;
