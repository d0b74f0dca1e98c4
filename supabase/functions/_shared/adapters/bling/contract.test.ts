import { createBlingSimulator } from '../../../../../dev/simulators/bling/index.ts';
import { runContractSuite } from '../testing/contract-suite.ts';
import { createBlingAdapter } from './index.ts';

runContractSuite({
  erp: 'bling',
  factory: createBlingAdapter,
  simulator: createBlingSimulator,
  apiPath: '/Api/v3',
  oauth: true,
});
