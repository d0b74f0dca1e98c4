import { Bar, BarChart, CartesianGrid, Cell, Legend, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { erpBrand } from '@/lib/erp';
import { formatNumber } from '@/lib/format';
import { type NightSummary, WINDOW_TARGET_SECONDS } from '@/lib/ops-types';

/** Series colours per ERP (the logo tiles' hues). */
const ERP_COLORS: Record<string, string> = {
  bling: '#059669',
  omie: '#0284c7',
  tiny: '#4f46e5',
  conta_azul: '#1d4ed8',
};
const TARGET_MINUTES = WINDOW_TARGET_SECONDS / 60;

/** "2026-12-02" → "02/12". */
export function nightLabel(night: string): string {
  const [, m, d] = night.split('-');
  return `${d}/${m}`;
}

export function windowMinutes(n: NightSummary): number | null {
  return n.window_seconds == null ? null : Math.round((Number(n.window_seconds) / 60) * 10) / 10;
}

function minutesLabel(v: number | null): string {
  return v == null ? '—' : `${formatNumber(v)} min`;
}

/** Each night's window (first start → last end) against the 30-minute target. */
export function WindowChart({ nights }: { nights: NightSummary[] }) {
  const data = nights.map((n) => ({ night: nightLabel(n.night), minutes: windowMinutes(n) }));
  return (
    <figure className="space-y-2" data-testid="window-chart">
      <figcaption className="text-sm font-medium">Duração da janela noturna (meta: {TARGET_MINUTES} min)</figcaption>
      <BarChart responsive style={{ width: '100%', height: 240 }} data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="night" fontSize={12} />
        {/* the target line always in view, even on short nights */}
        <YAxis
          domain={[0, (max: number) => Math.max(Math.ceil(max / 10) * 10, TARGET_MINUTES + 10)]}
          tickCount={5}
          tickFormatter={(v: number) => `${formatNumber(v)} min`}
          fontSize={12}
          width={56}
        />
        <Tooltip formatter={(v) => minutesLabel(typeof v === 'number' ? v : null)} labelFormatter={(l) => `Noite de ${l}`} />
        <ReferenceLine y={TARGET_MINUTES} stroke="#dc2626" strokeDasharray="4 4" label={{ value: 'meta', position: 'insideTopRight', fontSize: 11 }} />
        <Bar dataKey="minutes" name="Janela" minPointSize={3} isAnimationActive={false}>
          {data.map((d) => (
            <Cell key={d.night} fill={d.minutes != null && d.minutes > TARGET_MINUTES ? '#dc2626' : '#0f766e'} />
          ))}
        </Bar>
      </BarChart>
      <details>
        <summary className="cursor-pointer text-xs text-muted-foreground">Ver os números</summary>
        <table className="mt-2 w-full text-xs" data-testid="window-table">
          <thead>
            <tr className="text-left">
              <th className="py-1 font-medium">Noite</th>
              <th className="py-1 font-medium">Janela</th>
              <th className="py-1 font-medium">Devidas</th>
              <th className="py-1 font-medium">Falharam</th>
            </tr>
          </thead>
          <tbody>
            {nights.map((n) => (
              <tr key={n.night} data-night={n.night}>
                <td className="py-0.5">{nightLabel(n.night)}</td>
                <td className="py-0.5" data-testid="window-minutes">{minutesLabel(windowMinutes(n))}</td>
                <td className="py-0.5">{n.due}</td>
                <td className="py-0.5">{n.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Failed connections per night, stacked by ERP. */
export function FailuresChart({ nights }: { nights: NightSummary[] }) {
  // ERPs that failed at least once in these nights (no legend entry for an ERP that never failed)
  const erps = [...new Set(nights.flatMap((n) => Object.entries(n.failed_by_erp ?? {}).filter(([, v]) => v > 0).map(([k]) => k)))]
    .sort();
  const data = nights.map((n) => ({ night: nightLabel(n.night), ...n.failed_by_erp }));
  return (
    <figure className="space-y-2" data-testid="failures-chart">
      <figcaption className="text-sm font-medium">Falhas por ERP</figcaption>
      <BarChart responsive style={{ width: '100%', height: 240 }} data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="night" fontSize={12} />
        <YAxis allowDecimals={false} tickFormatter={(v: number) => formatNumber(v)} fontSize={12} width={32} />
        <Tooltip labelFormatter={(l) => `Noite de ${l}`} />
        <Legend formatter={(v) => erpBrand(String(v)).name} />
        {erps.map((erp) => (
          <Bar key={erp} dataKey={erp} name={erp} stackId="failed" fill={ERP_COLORS[erp] ?? '#6b7280'} isAnimationActive={false} />
        ))}
      </BarChart>
    </figure>
  );
}
