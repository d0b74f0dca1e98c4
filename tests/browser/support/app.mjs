// Builds the app once (vite build, into a temp folder) and serves it with vite preview on an ephemeral port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { REPO_ROOT } from './stack.mjs';

export async function buildAndServe() {
  const outDir = mkdtempSync(join(tmpdir(), 'erp-ui-dist-'));
  const configFile = join(REPO_ROOT, 'vite.config.ts');
  await build({ root: REPO_ROOT, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
  const server = await preview({
    root: REPO_ROOT,
    configFile,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  const url = `http://127.0.0.1:${address.port}/`;
  return {
    url,
    async close() {
      await new Promise((resolve) => server.httpServer.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
