import { erpBrand } from '@/lib/erp';
import { cn } from '@/lib/utils';

/** The ERP's tile (a monogram in the brand's colour); decorative: the name is always written next to it. */
export function ErpLogo({ erpType, className }: { erpType: string; className?: string }) {
  const brand = erpBrand(erpType);
  return (
    <div
      aria-hidden="true"
      data-testid="erp-logo"
      className={cn('flex size-10 shrink-0 items-center justify-center rounded-lg text-sm font-bold select-none', brand.tile, className)}
    >
      {brand.monogram}
    </div>
  );
}
