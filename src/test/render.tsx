import { QueryClient } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type * as React from 'react';
import { AppProviders } from '@/App';

export function createTestQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, staleTime: Infinity, refetchInterval: false, gcTime: Infinity },
      mutations: { retry: false },
    },
  });
}

export function renderWithProviders(ui: React.ReactElement, client: QueryClient = createTestQueryClient()) {
  const user = userEvent.setup();
  const result = render(<AppProviders client={client}>{ui}</AppProviders>);
  return { ...result, user, client };
}

/** The toast viewport (Radix also mirrors toasts into a screen-reader-only region: look in the viewport only). */
export function toasts() {
  return within(screen.getByRole('region', { name: /Notificações/ }));
}
