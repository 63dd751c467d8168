import { z } from "zod";
import { id, money, pageQuery, timestamp } from "./common.js";
import { pageOf, responseSchema } from "./registry.js";

const venue = z.object({ name: z.string(), city: z.string(), address: z.string() });

const tierFields = {
  id,
  name: z.string(),
  description: z.string(),
  price: money,
};

const showFields = {
  id,
  organization_id: id.describe("The organizer."),
  title: z.string(),
  description: z.string(),
  venue,
  starts_at: timestamp,
  tags: z.array(z.string()),
  published_at: timestamp.nullable(),
};

export const showSummary = responseSchema(
  "ShowSummary",
  z
    .object({ ...showFields, tiers: z.array(z.object(tierFields)) })
    .describe("A published show as lists show it (no live availability)."),
);

export const availability = responseSchema(
  "TierAvailability",
  z
    .object({
      capacity: z.number().int(),
      available: z.number().int().describe("Seats that can be bought right now."),
    })
    .describe("Live stock of a tier."),
);

export const show = responseSchema(
  "Show",
  z
    .object({
      ...showFields,
      tiers: z.array(
        z.object({
          ...tierFields,
          availability: availability.nullable().describe("Null when the stock could not be read in time (degraded)."),
        }),
      ),
      degraded: z
        .array(z.enum(["availability"]))
        .describe("Parts left out because they did not answer in time; empty normally."),
    })
    .describe("A published show with its tiers and their live availability."),
);

export const showPage = responseSchema("ShowPage", pageOf(showSummary));

export const listShowsQuery = z.object({
  q: z.string().max(200).optional().describe("Words matched against title, venue and tags (prefixes)."),
  tag: z
    .string()
    .max(40)
    .regex(/^[a-z0-9-]+$/, "may hold only a-z, 0-9 and -")
    .optional()
    .describe("Only shows with this tag."),
  from: timestamp.optional().describe("Only shows starting at or after this time."),
  to: timestamp.optional().describe("Only shows starting before this time."),
  ...pageQuery,
});

export type ShowSummaryView = z.output<typeof showSummary>;
export type ShowView = z.output<typeof show>;
