import { z } from "zod";
import { PAGE_SIZE } from "@marquee/proto/facts";
import { responseSchema } from "./registry.js";

export const CURRENCY = /^[A-Z]{3}$/;

export const timestamp = z.iso.datetime().describe("RFC 3339 date-time in UTC");
export const id = z.uuid();

export const money = responseSchema(
  "Money",
  z
    .object({
      amount_minor: z.number().int().describe("The amount in the currency's minor unit (cents for EUR)."),
      currency: z.string().regex(CURRENCY).describe("ISO 4217 code, upper case."),
    })
    .describe("An amount of money, exact: integer minor units with the currency."),
);

export type MoneyView = z.output<typeof money>;

/** A problem as the platform writes it (RFC 9457); the contract test checks real ones against it. */
export const problem = responseSchema(
  "Problem",
  z
    .object({
      type: z.string().describe("URI naming the kind of problem."),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      instance: z.string().describe("The request path."),
      requestId: z.string().describe("Also in the X-Request-Id header; quote it when asking for help."),
      reason: z
        .string()
        .optional()
        .describe("Machine-readable cause, e.g. RATE_LIMITED, IDEMPOTENCY_KEY_REUSED, INSUFFICIENT_FUNDS."),
      errors: z
        .array(
          z.object({
            field: z.string().describe("The JSON field, query parameter, path parameter or header at fault."),
            description: z.string(),
          }),
        )
        .optional()
        .describe("On 400: every invalid field."),
    })
    .describe("RFC 9457 problem details, served as application/problem+json."),
);

/** Query parameters shared by every list. */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(PAGE_SIZE.min)
    .max(PAGE_SIZE.max)
    .default(PAGE_SIZE.default)
    .describe(`Items per page (${PAGE_SIZE.min}-${PAGE_SIZE.max}).`),
  cursor: z
    .string()
    .min(1)
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/, "must be a next_cursor from a previous page")
    .optional()
    .describe("The next_cursor of the previous page."),
};

/** A path parameter naming a resource by id. */
export const idParams = z.object({ id: id.describe("The resource's id.") });
