import { createTinySimulator } from '../../../../../dev/simulators/tiny/index.ts';
import { runContractSuite } from '../testing/contract-suite.ts';
import { createTinyAdapter } from './index.ts';

runContractSuite({
  erp: 'tiny',
  factory: createTinyAdapter,
  simulator: createTinySimulator,
  apiPath: '/api2',
  oauth: false,
});
