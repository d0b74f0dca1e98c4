-- ERP base URLs must be https; plain http only to a loopback host (the local stack's simulators). Credentials
-- travel with every request (Tiny puts its token in the query string). The same rule as
-- supabase/functions/_shared/http/base-url.ts, which also refuses such a URL before any call.
create or replace function public.erp_base_url_is_allowed(u text)
returns boolean
language sql immutable set search_path = ''
as $$
  select u ~* '^https://[^/?#@]+([/?#]|$)'
      or u ~* '^http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]+)?([/?#]|$)'
$$;
grant execute on function public.erp_base_url_is_allowed(text) to authenticated, service_role;

-- NOT VALID: rows written before this migration are not re-checked here (the function refuses them at sync time
-- with INSECURE_BASE_URL); every new write is.
alter table public.erp_connections drop constraint if exists erp_connections_https_base_urls;
alter table public.erp_connections add constraint erp_connections_https_base_urls
  check (public.erp_base_url_is_allowed(api_base_url)
         and (auth_base_url is null or public.erp_base_url_is_allowed(auth_base_url))) not valid;
