/** What the merchant API middlewares leave on the Hono context for the handlers after them. */
export interface ApiVariables {
  /** The merchant whose assertion authenticated this request: every query is scoped to it. */
  merchantId: string;
  /** Set by the idempotency middleware that took charge of the request, so a second one steps aside. */
  idempotencyKey: string;
}

/** The Hono environment of the merchant API routes. */
export interface ApiEnv {
  Variables: ApiVariables;
}
