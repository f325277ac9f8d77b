import { shop } from '../../../shop.ts';

export async function GET(_request: Request, { params }: { params: Promise<{ serial: string }> }) {
  const order = shop.order((await params).serial);
  return order ? Response.json(order) : new Response('Not Found', { status: 404 });
}
