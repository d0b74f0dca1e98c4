/**
 * The legal basis of every credit rule, one constant per rule id, in pt-BR (it is shown to the customer and their
 * accountant next to each credit line). rules.ts decides; this file says under which provision. A rule id that is
 * not here fails the unit test `every rule id has a legal basis`.
 *
 * Acts cited (public texts, planalto.gov.br / normas.receita.fazenda.gov.br / legislacao.fazenda.sp.gov.br):
 *   LC 87/1996 (Lei Kandir, ICMS); LC 123/2006 (Simples Nacional); Lei 10.637/2002 (PIS não cumulativo);
 *   Lei 10.833/2003 (COFINS não cumulativa); Lei 10.865/2004 (PIS/COFINS-Importação); Lei 14.592/2023 (ICMS fora
 *   da base dos créditos); ADI RFB nº 15/2007; Convênio ICMS 142/2018 (regime de substituição tributária);
 *   RICMS/SP (Decreto 45.490/2000).
 */

export const LEGAL_BASIS: Record<string, string> = {
  // Note level
  NOTE_CANCELLED: 'Nota cancelada não produz efeitos fiscais (Ajuste SINIEF 07/2005)',
  NOTE_NOT_AUTHORIZED: 'Sem autorização de uso a NF-e não tem validade jurídica (Ajuste SINIEF 07/2005)',
  NOTE_HOMOLOGATION: 'NF-e de homologação (tpAmb 2) não tem valor fiscal (Ajuste SINIEF 07/2005)',

  // Operation (CFOP)
  CFOP_INVALID: 'CFOP: Convênio s/nº de 15/12/1970, Anexo (Tabela de CFOP)',
  CFOP_ENTRY_CODE: 'CFOP: Convênio s/nº de 15/12/1970, Anexo (Tabela de CFOP)',
  CFOP_RETURN:
    'Devolução recebida não é aquisição (Leis 10.637/2002 e 10.833/2003, art. 3º, I e II; LC 87/1996, art. 20)',
  CFOP_FIXED_ASSET:
    'Ativo imobilizado: ICMS pelo CIAP em 1/48 por mês (LC 87/1996, art. 20, §5º); PIS/COFINS sobre depreciação ou em 48 meses (Lei 10.833/2003, art. 3º, VI, §1º, III e §14)',
  CFOP_USE_CONSUMPTION:
    'Uso e consumo: sem crédito de ICMS até 31/12/2032 (LC 87/1996, art. 33, I); não é insumo de PIS/COFINS (Lei 10.833/2003, art. 3º, II)',
  CFOP_OTHER: 'Operação sem natureza de aquisição (Convênio s/nº de 15/12/1970, Tabela de CFOP)',
  PC_TRANSFER: 'Transferência entre estabelecimentos não é aquisição (Lei 10.833/2003, art. 3º, I e II)',

  // Buyer's use of the item
  USE_OWN_CONSUMPTION:
    'Material de uso e consumo: sem crédito de ICMS até 31/12/2032 (LC 87/1996, art. 33, I); para comércio não é insumo de PIS/COFINS (Lei 10.637/2002 e Lei 10.833/2003, art. 3º, II)',
  USE_UNKNOWN:
    'O crédito depende do destino do bem: revenda (Lei 10.833/2003, art. 3º, I), insumo (art. 3º, II), ativo (art. 3º, VI; LC 87/1996, art. 20, §5º) ou uso e consumo (LC 87/1996, art. 33, I)',

  // PIS/COFINS
  PC_MONOPHASIC_NCM:
    'Revenda de produto monofásico não gera crédito (Lei 10.637/2002 e Lei 10.833/2003, art. 3º, I, b)',
  PC_MONOPHASIC_INPUT_REVIEW:
    'A vedação do crédito de monofásicos é para revenda (Lei 10.833/2003, art. 3º, I, b); como insumo (art. 3º, II) o crédito segue as regras do setor (Lei 10.147/2000; Lei 10.485/2002)',
  PC_CST_ELIGIBLE:
    'Crédito sobre bens para revenda ou insumos, 1,65% (Lei 10.637/2002, arts. 2º e 3º) e 7,6% (Lei 10.833/2003, arts. 2º e 3º); ICMS fora da base a partir de 01/05/2023 (art. 3º, §2º, III, incluído pela Lei 14.592/2023)',
  PC_CST_PARTIAL:
    'Crédito apenas da contribuição tributada (Lei 10.637/2002 e Lei 10.833/2003, art. 3º, §2º, II)',
  PC_CST_NOT_CREDITABLE:
    'Aquisição não sujeita ao pagamento da contribuição não dá crédito (Lei 10.637/2002 e Lei 10.833/2003, art. 3º, §2º, II)',
  PC_SIMPLES_SUPPLIER:
    'Aquisição de optante pelo Simples Nacional dá crédito no regime não cumulativo (ADI RFB nº 15/2007; Lei 10.833/2003, art. 3º, I e II), às alíquotas de 1,65% e 7,6%',
  PC_CST_OTHER: 'CST sem operação tributada (Lei 10.833/2003, art. 3º, §2º, II)',
  PC_CST_MISSING:
    'Sem CST não há como comprovar a tributação da aquisição (Lei 10.833/2003, art. 3º, §2º, II)',
  PC_FIXED_ASSET:
    'Ativo imobilizado: crédito sobre depreciação (Lei 10.833/2003, art. 3º, VI e §1º, III) ou opção de 1/48 por mês para máquinas e equipamentos (art. 3º, §14); só para bens usados na produção ou na prestação de serviços',
  PC_IMPORT:
    'Crédito de PIS/COFINS-Importação pagos (Lei 10.865/2004, art. 15): alíquotas do art. 8º (2,1% e 9,65%) sobre o valor aduaneiro (art. 7º, I)',
  PC_IMPORT_REVIEW:
    'Crédito de PIS/COFINS-Importação (Lei 10.865/2004, art. 15) — alíquotas específicas para monofásicos (art. 8º, §§ 1º a 9º)',
  PC_PURCHASE_RETURN:
    'Bem devolvido ao fornecedor deixa de ser aquisição: o crédito tomado é estornado no mês da devolução (Lei 10.833/2003, art. 3º, I e II; ajuste de redução na EFD-Contribuições)',
  PC_SALE_RETURN:
    'Crédito sobre bens recebidos em devolução cuja receita de venda tenha sido tributada (Lei 10.833/2003 e Lei 10.637/2002, art. 3º, VIII)',
  PC_REGIME_CUMULATIVE:
    'Lucro Presumido: regime cumulativo, sem créditos (Lei 10.833/2003, art. 10, II; Lei 10.637/2002, art. 8º, II)',
  PC_REGIME_SIMPLES: 'Simples Nacional: sem apropriação de créditos (LC 123/2006, art. 23)',
  PC_REGIME_UNKNOWN:
    'Créditos de PIS/COFINS só no regime não cumulativo (Lucro Real: Lei 10.637/2002 e Lei 10.833/2003, art. 3º)',

  // ICMS
  ICMS_TAXED: 'Crédito do ICMS destacado na aquisição (LC 87/1996, arts. 19 e 20)',
  ICMS_TAXED_NO_VALUE: 'Sem ICMS destacado não há crédito (LC 87/1996, arts. 19, 20 e 23)',
  ICMS_SN_CREDIT:
    'Crédito do ICMS informado por fornecedor do Simples Nacional (LC 123/2006, art. 23, §§1º e 2º)',
  ICMS_SN_CREDIT_ABSENT:
    'Sem o valor informado pelo fornecedor do Simples não há crédito (LC 123/2006, art. 23, §1º)',
  ICMS_SN_NO_CREDIT: 'Fornecedor do Simples Nacional sem permissão de crédito (LC 123/2006, art. 23)',
  ICMS_ST_RETAINED:
    'Mercadoria recebida com imposto retido por substituição tributária: o substituído não se credita (LC 87/1996, arts. 6º e 9º; Convênio ICMS 142/2018; RICMS/SP, art. 272)',
  ICMS_ST_PURCHASE:
    'Compra para revenda sob substituição tributária: o substituído não se credita nem do imposto retido nem do ICMS da operação própria do remetente (Convênio ICMS 142/2018; RICMS/SP, art. 272, e regras equivalentes dos demais estados)',
  ICMS_ST_INPUT_REVIEW:
    'A ST não se aplica a mercadoria destinada a industrialização (Convênio ICMS 142/2018, hipóteses de não aplicação da ST); se recebida com ST e usada como insumo, o crédito depende da regra do estado',
  ICMS_NOT_TAXED:
    'Operação isenta, não tributada ou com suspensão: nada a creditar (LC 87/1996, art. 20, §3º)',
  ICMS_MONOPHASIC_FUEL: 'ICMS monofásico sobre combustíveis (LC 192/2022)',
  ICMS_MISSING: 'Sem CST/CSOSN não há como comprovar o imposto cobrado (LC 87/1996, art. 23)',
  ICMS_CODE_UNKNOWN: 'Código de tributação desconhecido (LC 87/1996, art. 23)',
  ICMS_CIAP:
    'Ativo imobilizado: crédito à razão de 1/48 por mês, a primeira fração no mês da entrada (LC 87/1996, art. 20, §5º, I)',
  ICMS_IMPORT: 'Crédito do ICMS pago no desembaraço da importação (LC 87/1996, arts. 12, IX, 13, V, e 20)',
  ICMS_PURCHASE_RETURN:
    'O ICMS destacado na devolução ao fornecedor anula o crédito da entrada (LC 87/1996, arts. 19 e 20: não cumulatividade)',
  ICMS_SALE_RETURN:
    'O ICMS destacado na devolução da venda recupera o débito da saída (LC 87/1996, arts. 19 e 20: não cumulatividade)',
  ICMS_REGIME_SIMPLES: 'Simples Nacional: sem apropriação de créditos de ICMS (LC 123/2006, art. 23)',
  ICMS_REGIME_UNKNOWN: 'O crédito de ICMS é do regime normal de apuração (LC 87/1996, arts. 19 e 20)',
};

export function legalBasis(rule: string): string {
  return LEGAL_BASIS[rule] ?? '';
}
