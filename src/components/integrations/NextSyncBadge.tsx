import { Clock } from 'lucide-react';
import { badgeVariants } from '@/components/ui/badge';
import { formatNextSync } from '@/lib/format';
import { cn } from '@/lib/utils';
import { TapTooltip } from './TapTooltip';

/** Outline badge "Próxima: hoje às 21:00" (Brasília), the exact date and time in a tooltip. */
export function NextSyncBadge({ nextSyncAt, now }: { nextSyncAt: string | null; now: Date }) {
  const next = formatNextSync(nextSyncAt, now);
  const tip = next.exact
    ? next.due
      ? `Prevista para ${next.exact}; entra na próxima execução automática.`
      : next.exact
    : 'Entra na próxima execução automática (todas as noites).';
  return (
    <TapTooltip content={<span data-testid="next-sync-exact">{tip}</span>}>
      <button
        type="button"
        data-testid="next-sync"
        className={cn(badgeVariants({ variant: 'outline' }), 'cursor-default')}
      >
        <Clock aria-hidden="true" />
        <span>
          Próxima:{' '}
          {next.iso ? <time dateTime={next.iso}>{next.label}</time> : next.label}
        </span>
      </button>
    </TapTooltip>
  );
}
