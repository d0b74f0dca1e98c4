import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { readConfig } from './config';

let client: SupabaseClient | null = null;

/** The one supabase-js client of the app (created on first use, so a missing config shows as an error state). */
export function getSupabase(): SupabaseClient {
  if (client) return client;
  const { supabaseUrl, anonKey, accessToken } = readConfig();
  client = accessToken
    ? // A token handed over by the host (local demo user): supabase-js sends it on every call.
      createClient(supabaseUrl, anonKey, { accessToken: async () => accessToken })
    : createClient(supabaseUrl, anonKey, { auth: { persistSession: true, autoRefreshToken: true } });
  return client;
}

/** Tests only. */
export function setSupabaseForTests(c: SupabaseClient | null) {
  client = c;
}
