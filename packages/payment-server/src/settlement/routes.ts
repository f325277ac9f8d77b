import type { Hono } from 'hono';
import type { ApiEnv } from '../api/context.js';
import { settlementCsv } from './csv.js';
import type { SettlementService } from './service.js';

/** Whether the client asked for CSV rather than JSON. */
function wantsCsv(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.trim().toLowerCase().startsWith('text/csv'));
}

/**
 * `GET /settlements/:date` (JSON, or CSV with `Accept: text/csv`), for the merchant API app.
 * @example settlementEndpoints({ settlement })(api)
 */
export function settlementEndpoints(deps: { settlement: SettlementService }) {
  return (api: Hono<ApiEnv>): void => {
    api.get('/settlements/:date', async (c) => {
      const report = await deps.settlement.report(c.get('merchantId'), c.req.param('date'));
      if (wantsCsv(c.req.header('accept'))) {
        return c.body(settlementCsv(report), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="settlement-${report.date}.csv"`,
        });
      }
      return c.json(report);
    });
  };
}
