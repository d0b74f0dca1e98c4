/** Small helpers shared by the simulators' route handlers. */

/** base64 of gzip(text) (Bling's /nfe/documento `conteudo`). */
export async function gzipBase64(text: string): Promise<string> {
  const stream = new Blob([new TextEncoder().encode(text)]).stream().pipeThrough(
    new CompressionStream('gzip'),
  );
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** '12345678000195' → '12.345.678/0001-95'. */
export function formatCnpj(d: string): string {
  return d.length === 14
    ? `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`
    : d;
}

/** '12345678901' → '123.456.789-01'. */
export function formatCpf(d: string): string {
  return d.length === 11 ? `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}` : d;
}

/** 'YYYY-MM-DD' → 'dd/mm/yyyy'. */
export function toBr(date: string): string {
  return `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;
}

/** 'dd/mm/yyyy' → 'YYYY-MM-DD' (null when not that shape). */
export function fromBr(s: string | null): string | null {
  if (!s) return null;
  const m = /^(\d{2})\/(\d{2})\/(\d{4})/.exec(s.trim());
  return m ? `${m[3]}-${m[2]}-${m[1]}` : null;
}

/** Accepts 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (or ISO) and returns 'YYYY-MM-DD' (null when invalid). */
export function isoDate(s: string | null): string | null {
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** Slice of a 1-based page. */
export function page<T>(items: T[], pagina: number, size: number): T[] {
  const p = Math.max(1, pagina);
  return items.slice((p - 1) * size, p * size);
}

export function intParam(u: URL, name: string, dflt: number): number {
  const v = u.searchParams.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : dflt;
}

/** 'YYYY-MM-DD' → 'YYYY-MM-DD HH:MM:SS' local time of an ISO date-time with offset. */
export function localDateTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
