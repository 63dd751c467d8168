import type { Middleware } from "koa";
import { DomainError } from "@marquee/platform";

/** This API's names for what the services call otherwise. */
const RENAMED: Record<string, string> = { pageToken: "cursor" };

const toCamel = (field: string): string => {
  const camel = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return RENAMED[camel] ?? camel;
};

/**
 * Services name bad fields as their .proto does (snake_case); this API's JSON is camelCase. A
 * service's INVALID_ARGUMENT passes through with the field names spelled as the browser sent them.
 */
export function jsonFieldNames(): Middleware {
  return async (_ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof DomainError) || error.violations.length === 0) throw error;
      const violations = error.violations.map((v) => ({ field: toCamel(v.field), description: v.description }));
      throw new DomainError(error.kind, error.message, {
        violations,
        cause: error,
        ...(error.reason ? { reason: error.reason } : {}),
      });
    }
  };
}
