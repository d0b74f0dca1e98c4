/**
 * The company's tax regime, from `company_profile` (CRT of the NF-e layout: 1 Simples, 2 Simples above the sublimit, 3 regime normal, 4 MEI). The regime decides which credits exist:
 * PIS/COFINS credits only in Lucro Real (non-cumulative); ICMS credits for any regime normal company; none for
 * Simples Nacional / MEI (LC 123/2006, art. 23). CRT 1/2/4 does identify Simples/MEI when the regime itself is
 * unknown; CRT 3 (regime normal) does NOT tell Lucro Presumido from Lucro Real.
 */

export type TaxRegime = 'simples_nacional' | 'mei' | 'lucro_presumido' | 'lucro_real' | 'unknown';

export type RegimeClass =
  | 'lucro_real'
  | 'lucro_presumido'
  | 'simples_nacional'
  | 'mei'
  /** CRT 3: regime normal, but Presumido or Real is not known. */
  | 'normal_unknown'
  /** Nothing known. */
  | 'unknown';

export interface ProfileRow {
  tax_regime: string | null;
  crt: number | null;
  cnae?: string | null;
  uf?: string | null;
}

export interface ResolvedRegime {
  regime: RegimeClass;
  /** Where it came from: the profile's tax_regime, its CRT, or nothing. */
  source: 'tax_regime' | 'crt' | 'none' | 'no_profile';
  /** pt-BR, for explanations. */
  label: string;
}

export const REGIME_LABEL: Record<RegimeClass, string> = {
  lucro_real: 'Lucro Real',
  lucro_presumido: 'Lucro Presumido',
  simples_nacional: 'Simples Nacional',
  mei: 'MEI',
  normal_unknown: 'regime normal (Lucro Presumido ou Real não informado)',
  unknown: 'regime tributário não informado',
};

export function resolveRegime(profile: ProfileRow | null | undefined): ResolvedRegime {
  if (!profile) return { regime: 'unknown', source: 'no_profile', label: REGIME_LABEL.unknown };
  const r = profile.tax_regime;
  if (r === 'lucro_real' || r === 'lucro_presumido' || r === 'simples_nacional' || r === 'mei') {
    return { regime: r, source: 'tax_regime', label: REGIME_LABEL[r] };
  }
  switch (profile.crt) {
    case 1:
    case 2:
      return { regime: 'simples_nacional', source: 'crt', label: REGIME_LABEL.simples_nacional };
    case 4:
      return { regime: 'mei', source: 'crt', label: REGIME_LABEL.mei };
    case 3:
      return { regime: 'normal_unknown', source: 'crt', label: REGIME_LABEL.normal_unknown };
    default:
      return { regime: 'unknown', source: 'none', label: REGIME_LABEL.unknown };
  }
}

export function isSimples(r: RegimeClass): boolean {
  return r === 'simples_nacional' || r === 'mei';
}

/** Regime normal (ICMS non-cumulative applies). */
export function isRegimeNormal(r: RegimeClass): boolean {
  return r === 'lucro_real' || r === 'lucro_presumido' || r === 'normal_unknown';
}
