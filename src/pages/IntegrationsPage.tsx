import { CircleAlert, PlugZap, RotateCw } from 'lucide-react';
import { AlertsPanel } from '@/components/integrations/AlertsPanel';
import { ConnectionCardSkeleton } from '@/components/integrations/ConnectionCardSkeleton';
import { ERPConnectionCard } from '@/components/integrations/ERPConnectionCard';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { useConnections } from '@/hooks/use-connections';
import { describeError } from '@/lib/api';

/** Integrations: the signed-in user's ERP connections, one card each. */
export function IntegrationsPage() {
  return (
    <main className="mx-auto w-full max-w-5xl px-4 py-6 sm:px-6 sm:py-10">
      <header className="mb-6 space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Integrações</h1>
        <p className="text-sm text-muted-foreground">
          Seus ERPs conectados. Notas fiscais, produtos, financeiro e dados da empresa são sincronizados
          automaticamente todas as noites; use “Sincronizar agora” para não esperar.
        </p>
      </header>
      <AlertsPanel />
      <ConnectionsSection />
    </main>
  );
}

function ConnectionsSection() {
  const query = useConnections();

  if (query.isPending) {
    return (
      <section aria-busy="true" aria-label="ERPs conectados" className="grid gap-4 lg:grid-cols-2">
        <p role="status" className="sr-only">
          Carregando integrações…
        </p>
        <ConnectionCardSkeleton />
        <ConnectionCardSkeleton />
      </section>
    );
  }

  if (query.isError && !query.data) {
    return (
      <Alert variant="destructive" role="alert" data-testid="connections-error">
        <CircleAlert aria-hidden="true" />
        <AlertTitle>Não foi possível carregar suas integrações</AlertTitle>
        <AlertDescription>
          <p>{describeError(query.error)}</p>
          <Button variant="outline" size="sm" className="mt-2" onClick={() => void query.refetch()} disabled={query.isFetching}>
            <RotateCw aria-hidden="true" className={query.isFetching ? 'animate-spin' : undefined} />
            Tentar novamente
          </Button>
        </AlertDescription>
      </Alert>
    );
  }

  const connections = query.data?.connections ?? [];
  if (connections.length === 0) {
    return (
      <Card data-testid="connections-empty">
        <CardContent className="flex flex-col items-center gap-3 py-8 text-center">
          <PlugZap className="size-8 text-muted-foreground" aria-hidden="true" />
          <h2 className="font-semibold">Nenhum ERP conectado</h2>
          <p className="max-w-md text-sm text-muted-foreground">
            Conecte Bling, Omie, Tiny ou Conta Azul para importar notas fiscais, produtos e o financeiro
            automaticamente, todas as noites.
          </p>
        </CardContent>
      </Card>
    );
  }

  return (
    <section aria-labelledby="connections-heading" className="space-y-3">
      <div className="flex items-center justify-between gap-2">
        <h2 id="connections-heading" className="text-sm font-medium text-muted-foreground">
          {connections.length === 1 ? '1 ERP conectado' : `${connections.length} ERPs conectados`}
        </h2>
        {query.isRefetchError ? (
          <p role="status" className="text-xs text-muted-foreground" data-testid="refetch-error">
            Não foi possível atualizar agora; mostrando os últimos dados.
          </p>
        ) : null}
      </div>
      <div className="grid items-start gap-4 lg:grid-cols-2">
        {connections.map((c) => (
          <ERPConnectionCard key={c.id} connection={c} />
        ))}
      </div>
    </section>
  );
}
