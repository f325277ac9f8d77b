import { ensureState } from '@caisse/server-kit';
import type { NextRequest } from 'next/server';
import { shop } from '../../shop.ts';

export function POST(request: NextRequest) {
  const { state, setCookie } = ensureState(request);
  // The origin the browser used: in development `nextUrl` says localhost whatever the Host.
  const shopUrl = `${request.nextUrl.protocol}//${request.headers.get('host')}`;
  return Response.json(shop.checkout(shopUrl, state), { headers: setCookie ? { 'set-cookie': setCookie } : {} });
}
