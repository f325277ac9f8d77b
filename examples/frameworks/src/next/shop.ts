// Next.js may load a module once per route: the shop lives on globalThis, one per server.
import { createShop, type Shop, shopConfig } from '../shop.ts';

const global = globalThis as { caisseShop?: Promise<Shop> };
global.caisseShop ??= createShop(shopConfig((name) => process.env[name]));
export const shop = await global.caisseShop;
