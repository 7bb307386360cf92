/** A customer's record as integrations send it (validated by `ZCustomerInput` at the edge). */
export interface CustomerProfile {
  id: string;
  email: string;
  name?: string;
  locale?: string;
  timezone?: string;
  /** Merged into the stored attributes: integrations may send only what changed. */
  attributes?: Record<string, string | number | boolean>;
}
