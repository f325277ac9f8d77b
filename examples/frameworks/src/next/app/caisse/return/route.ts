import { shop } from '../../../shop.ts';

export const GET = shop.returnHandler;
export const POST = shop.returnHandler;
