import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import * as React from 'react';
import { Toaster } from '@/components/ui/toaster';
import { TooltipProvider } from '@/components/ui/tooltip';
import { useAlerts } from '@/hooks/use-alerts';
import { IntegrationsPage } from '@/pages/IntegrationsPage';
import { OperationsPage } from '@/pages/OperationsPage';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 10_000, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}

export function AppProviders({ client, children }: { client: QueryClient; children: React.ReactNode }) {
  return (
    <QueryClientProvider client={client}>
      <TooltipProvider>
        {children}
        <Toaster />
      </TooltipProvider>
    </QueryClientProvider>
  );
}

export const OPERATIONS_PATH = '/operacao';

export function isOperationsPath(pathname: string): boolean {
  return pathname.replace(/\/+$/, '') === OPERATIONS_PATH;
}

/** Top links: Integrações, and Operação for operators (the page itself is refused to anyone else by the server). */
export function AppNav({ pathname }: { pathname: string }) {
  const alerts = useAlerts();
  const ops = isOperationsPath(pathname);
  if (!alerts.data?.is_operator && !ops) return null;
  const link = 'rounded-md px-3 py-1.5 text-sm hover:bg-muted aria-[current=page]:bg-muted aria-[current=page]:font-medium';
  return (
    <nav aria-label="Seções" className="mx-auto flex w-full max-w-6xl gap-1 px-4 pt-4 sm:px-6">
      <a href="/" className={link} aria-current={ops ? undefined : 'page'}>
        Integrações
      </a>
      <a href={OPERATIONS_PATH} className={link} aria-current={ops ? 'page' : undefined}>
        Operação
      </a>
    </nav>
  );
}

export function App() {
  const [client] = React.useState(createQueryClient);
  const pathname = typeof window !== 'undefined' ? window.location.pathname : '/';
  return (
    <AppProviders client={client}>
      <AppNav pathname={pathname} />
      {isOperationsPath(pathname) ? <OperationsPage /> : <IntegrationsPage />}
    </AppProviders>
  );
}
