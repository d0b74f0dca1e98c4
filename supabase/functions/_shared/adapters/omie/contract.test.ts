/** The shared adapter contract suite, run by the Omie adapter against the Omie simulator. */
import { runContractSuite } from '../testing/contract-suite.ts';
import { createOmieSimulator, omieApportioned } from '../../../../../dev/simulators/omie/index.ts';
import { createOmieAdapter } from './index.ts';

runContractSuite({
  erp: 'omie',
  // Smaller pages than production so every entity spans several pages with the suite's account sizes.
  factory: (ctx, deps) =>
    createOmieAdapter(ctx, { ...deps, pageSizes: { nfe: 25, received: 25, products: 50, financials: 50 } }),
  simulator: createOmieSimulator,
  apiPath: '/api/v1',
  oauth: false,
  // Issued notes are keyed by Omie's nIdNF, received ones by their receipt (nIdReceb).
  externalId: (entity, simId, data) => {
    if (entity !== 'nfe') return String(simId);
    const n = data.notes.find((x) => x.id === simId);
    return n?.companyRole === 'recipient' ? `receb:${simId}` : String(simId);
  },
  // An apportioned title becomes one entry per category.
  expectedFinancials: (data, w) =>
    data.titles
      .filter((t) => t.issueDate >= w.from && t.issueDate <= w.to)
      .flatMap((t) => (omieApportioned(t) ? [t.id, t.id] : [t.id])),
});
