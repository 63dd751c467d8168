import { invalidArgument } from "@marquee/platform";
import { z } from "zod";

/** `?fields=id,title,startsAt`: a comma-separated subset of a resource's documented keys. */
export const fieldsParam = z
  .string()
  .max(500, "is too long")
  .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, "must be comma-separated field names, e.g. fields=id,title")
  .optional();

/**
 * A field selection over objects with the keys in `known`: each object keeps only the chosen keys
 * (in the order they are listed in `known`). No selection keeps everything. An unknown key is a
 * 400 naming it and listing the known ones.
 */
export class FieldSelection<K extends string> {
  private constructor(private readonly chosen: ReadonlySet<K> | undefined) {}

  static parse<K extends string>(raw: string | undefined, known: readonly K[]): FieldSelection<K> {
    if (raw === undefined) return new FieldSelection<K>(undefined);
    const names = raw.split(",");
    const unknown = names.filter((name) => !(known as readonly string[]).includes(name));
    if (unknown.length > 0) {
      throw invalidArgument(
        unknown.map((name) => ({
          field: "fields",
          description: `unknown field '${name}'; known: ${known.join(", ")}`,
        })),
      );
    }
    return new FieldSelection(new Set(names as K[]));
  }

  apply<T extends Record<K, unknown>>(item: T): Partial<T> {
    const chosen = this.chosen;
    if (!chosen) return item;
    return Object.fromEntries(Object.entries(item).filter(([key]) => chosen.has(key as K))) as Partial<T>;
  }
}
