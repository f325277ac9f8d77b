import { shop } from '../../../shop.ts';

export const POST = shop.notificationHandler;
