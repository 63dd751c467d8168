import { z } from "zod";
import { pageSizeField } from "@marquee/platform";
import { SHOW_RULES as R } from "../../domain/show.js";
import { showPageToken } from "./page-token.js";

const REQUIRED = { error: "is required" };

const text = (rules: { min?: number; max: number }) =>
  z
    .string()
    .trim()
    .min(rules.min ?? 0)
    .max(rules.max);

const venue = z.object({ name: text(R.venueName), city: text(R.venueCity), address: text(R.venueAddress) }, REQUIRED);

const money = z.object(
  {
    amountMinor: z.number().int().min(R.amountMinor.min).max(R.amountMinor.max),
    currency: z.string().regex(R.currency.pattern, "must be an ISO 4217 code in upper case (3 letters)"),
  },
  REQUIRED,
);

const tier = z.object({
  tierId: z.union([z.literal(""), z.uuid()]).transform((id) => id || undefined),
  name: text(R.tierName),
  price: money,
  capacity: z.number().int().min(R.capacity.min).max(R.capacity.max),
  description: text(R.tierDescription),
});

type TierInput = z.output<typeof tier>;

/** Within one show: tier names and ids are unique, and every tier is priced in one currency. */
function checkTierSet(tiers: TierInput[], ctx: z.RefinementCtx): void {
  const currency = tiers[0]?.price.currency;
  tiers.forEach((t, i) => {
    const earlier = tiers.slice(0, i);
    if (earlier.some((e) => e.name.toLowerCase() === t.name.toLowerCase())) {
      ctx.addIssue({ code: "custom", path: [i, "name"], message: "another tier has this name" });
    }
    if (t.tierId && earlier.some((e) => e.tierId === t.tierId)) {
      ctx.addIssue({ code: "custom", path: [i, "tierId"], message: "another tier has this id" });
    }
    if (t.price.currency !== currency) {
      ctx.addIssue({ code: "custom", path: [i, "price", "currency"], message: `must be ${currency}, like tier 0` });
    }
  });
}

const tiers = (min: number) => z.array(tier).min(min).max(R.tiers.max).superRefine(checkTierSet);

const tag = z
  .string()
  .trim()
  .toLowerCase()
  .min(R.tag.min)
  .max(R.tag.max)
  .regex(R.tag.pattern, "may hold only a-z, 0-9 and -");

const tags = z.array(tag).max(R.tags.max);

const title = text(R.title);
const description = text(R.description);
const startsAt = z.date(REQUIRED);
const optionalUuid = z.union([z.literal(""), z.uuid()]).transform((id) => id || undefined);

export const schemas = {
  createShow: z.object({
    organizationId: z.uuid(),
    title,
    description,
    venue,
    startsAt,
    tags,
    tiers: tiers(R.tiers.min),
  }),
  /** Unset fields keep their value; a list replaces the old one when given or when its replace flag is set. */
  updateShow: z
    .object({
      showId: z.uuid(),
      expectedVersion: z.number().int().min(0),
      title: title.optional(),
      description: description.optional(),
      venue: venue.optional(),
      startsAt: startsAt.optional(),
      tags,
      replaceTags: z.boolean(),
      // A draft may lose all its tiers (it cannot be published until it has one again).
      tiers: tiers(0),
      replaceTiers: z.boolean(),
    })
    .transform(({ showId, expectedVersion, tags, replaceTags, tiers, replaceTiers, ...fields }) => ({
      showId,
      expectedVersion,
      changes: {
        ...fields,
        tags: replaceTags || tags.length > 0 ? tags : undefined,
        tiers: replaceTiers || tiers.length > 0 ? tiers : undefined,
      },
    })),
  publishShow: z.object({ showId: z.uuid() }),
  getShow: z.object({ showId: z.uuid() }),
  listShows: z
    .object({
      text: z.string().max(200),
      tag: z.union([z.literal(""), tag]).transform((t) => t || undefined),
      organizationId: optionalUuid,
      startsAfter: z.date().optional(),
      startsBefore: z.date().optional(),
      pageSize: pageSizeField,
      pageToken: showPageToken.schema,
    })
    .refine((r) => !r.startsAfter || !r.startsBefore || r.startsAfter < r.startsBefore, {
      path: ["startsBefore"],
      message: "must be later than starts_after",
    })
    .transform(({ pageToken, ...filters }) => ({ ...filters, after: pageToken })),
};
