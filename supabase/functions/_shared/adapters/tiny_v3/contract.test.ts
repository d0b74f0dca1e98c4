/** The shared adapter contract suite, run by the Tiny API v3 adapter against the Tiny v3 simulator. */
import { createTinyV3Simulator, TINY_V3_API_PATH, TINY_V3_AUTH_PATH } from '../../../../../dev/simulators/tiny_v3/index.ts';
import { runContractSuite } from '../testing/contract-suite.ts';
import { createTinyV3Adapter } from './index.ts';

runContractSuite({
  erp: 'tiny',
  label: 'tiny v3',
  factory: createTinyV3Adapter,
  simulator: createTinyV3Simulator,
  apiPath: TINY_V3_API_PATH,
  authPath: TINY_V3_AUTH_PATH,
  oauth: true,
  // Tiny v3 refresh tokens live one day (docs/tiny-v3.md): the suite's idle gap stays inside it.
  refreshTokenTtlMs: 86_400_000,
});
