import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeLog } from '@/test/fixtures';
import { EntityBreakdown, latestWithEntities } from './EntityBreakdown';

const now = new Date('2026-12-03T15:00:00Z');

describe('EntityBreakdown', () => {
  it('per entity: synced up to when, how many records, or failed with which message', () => {
    const log = makeLog({
      status: 'partial',
      completed_at: '2026-12-03T00:03:00Z',
      entities: [
        { entity: 'nfe', status: 'success', synced: 21, failed: 2, synced_until: '2026-12-02', error: '2 registros falharam [NFE_INVALID_KEY]: chave inválida' },
        { entity: 'products', status: 'success', synced: 12, failed: 0, synced_until: '2026-12-03T00:03:00Z', error: null },
        { entity: 'financials', status: 'error', synced: 0, failed: 0, synced_until: null, error: 'O Bling não respondeu (financeiro) (falha temporária). Tentaremos novamente no próximo horário. [HTTP_503]' },
        { entity: 'profile', status: 'not_supported', synced: 0, failed: 0, synced_until: null, error: null },
      ],
    });
    render(<EntityBreakdown logs={[log]} now={now} />);
    expect(screen.getByRole('heading', { name: 'Na última sincronização' })).toBeInTheDocument();
    const rows = screen.getAllByTestId('entity-row');
    expect(rows.map((r) => r.getAttribute('data-entity'))).toEqual(['nfe', 'products', 'financials', 'profile']);
    expect(rows[0]).toHaveTextContent('Notas fiscais');
    expect(rows[0]).toHaveTextContent('21 registros · atualizado até 02/12/2026');
    expect(within(rows[0]).getByTestId('entity-error')).toHaveTextContent('2 registros falharam [NFE_INVALID_KEY]');
    expect(rows[1]).toHaveTextContent('Produtos');
    expect(rows[1]).toHaveTextContent('12 registros · atualizado até ontem às 21:03');
    expect(rows[2]).toHaveTextContent('FinanceiroFalhou');
    expect(within(rows[2]).getByTestId('entity-error')).toHaveTextContent('O Bling não respondeu (financeiro)');
    expect(rows[3]).toHaveTextContent('EmpresaNão disponível neste ERP');
  });

  it('uses the latest finished sync that recorded entities; nothing otherwise', () => {
    const running = makeLog({ status: 'running', completed_at: null, entities: [] });
    const old = makeLog({ entities: undefined });
    const withEntities = makeLog({ entities: [{ entity: 'nfe', status: 'success', synced: 1, failed: 0, synced_until: null, error: null }] });
    expect(latestWithEntities([running, withEntities, old])).toBe(withEntities);
    const { container } = render(<EntityBreakdown logs={[running, old]} now={now} />);
    expect(container).toBeEmptyDOMElement();
  });
});
