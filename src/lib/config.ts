/**
 * Where the app finds Supabase and who is signed in. Two sources, first wins:
 *  1. `window.__APP_CONFIG__` (injected at runtime, e.g. by the browser tests: one build, any stack);
 *  2. Vite env at build/serve time: VITE_SUPABASE_URL, VITE_SUPABASE_ANON_KEY and, locally only,
 *     VITE_SUPABASE_ACCESS_TOKEN (the demo user's JWT minted by `npm run ui`).
 * Without an access token the app uses the Supabase Auth session (a real deployment).
 */
export interface AppConfig {
  supabaseUrl: string;
  anonKey: string;
  accessToken?: string | null;
}

declare global {
  interface Window {
    __APP_CONFIG__?: Partial<AppConfig> | null;
  }
}

export class ConfigError extends Error {}

export function readConfig(): AppConfig {
  const injected = typeof window !== 'undefined' ? window.__APP_CONFIG__ ?? null : null;
  const env = import.meta.env;
  const supabaseUrl = injected?.supabaseUrl ?? env.VITE_SUPABASE_URL;
  const anonKey = injected?.anonKey ?? env.VITE_SUPABASE_ANON_KEY;
  const accessToken = injected?.accessToken ?? env.VITE_SUPABASE_ACCESS_TOKEN ?? null;
  if (!supabaseUrl || !anonKey) {
    throw new ConfigError('Supabase não configurado: defina VITE_SUPABASE_URL e VITE_SUPABASE_ANON_KEY (ou rode npm run ui).');
  }
  return { supabaseUrl, anonKey, accessToken };
}
