import type { z } from "zod";
import { invalidArgument } from "./errors.js";

/** Parses input with a zod schema; any issue becomes INVALID_ARGUMENT naming each field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidArgument(
    result.error.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "(request)",
      description: issue.message,
    })),
  );
}
