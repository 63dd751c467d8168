import type { z } from "zod";
import { invalidArgument } from "./errors.js";

export interface ValidateOptions {
  /**
   * How field paths are spelled in errors: "proto" turns camelCase into the snake_case names
   * of the .proto contract (what grpcurl users see); "json" keeps them as sent.
   */
  fieldNames?: "proto" | "json";
}

const toSnakeCase = (segment: string): string => segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Parses input with a zod schema; any issue becomes INVALID_ARGUMENT naming each field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, options: ValidateOptions = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const spell = options.fieldNames === "json" ? String : (segment: PropertyKey) => toSnakeCase(String(segment));
  throw invalidArgument(
    result.error.issues.map((issue) => ({
      field: issue.path.map(spell).join(".") || "(request)",
      description: issue.message,
    })),
  );
}
