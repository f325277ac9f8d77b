/** One step of the schema. Applied once, in version order, and never edited once released. */
export interface Migration {
  /** Positive integer; the list is applied in increasing order. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
