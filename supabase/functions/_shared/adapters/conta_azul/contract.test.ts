/** The shared adapter contract suite, run by the Conta Azul adapter against the Conta Azul simulator. */
import { runContractSuite } from '../testing/contract-suite.ts';
import { caUuid, createContaAzulSimulator } from '../../../../../dev/simulators/conta_azul/index.ts';
import { createContaAzulAdapter } from './index.ts';

const RIG_SEED = 7; // startRig() seeds every simulator with 7

runContractSuite({
  erp: 'conta_azul',
  factory: createContaAzulAdapter,
  simulator: createContaAzulSimulator,
  apiPath: '',
  authPath: '',
  oauth: true,
  externalId: (entity, simId, data) => {
    if (entity === 'nfe') return data.notes.find((n) => n.id === simId)!.accessKey;
    return caUuid(RIG_SEED, entity === 'products' ? 'produto' : 'parcela', simId);
  },
  // GET /v1/notas-fiscais lists only the company's own authorised, not cancelled NF-e (EMITIDA /
  // CORRIGIDA_SUCESSO); the API has no received notes.
  expectedNfe: (data, w) =>
    data.notes
      .filter((n) =>
        n.companyRole === 'issuer' && n.tpNF === 1 && n.model === 55 && n.authorised && !n.cancelled &&
        n.issuedDate >= w.from && n.issuedDate <= w.to
      )
      .map((n) => n.accessKey),
});
