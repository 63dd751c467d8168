import { asDomainError, DomainError } from "@marquee/platform";

/**
 * Runs a service call whose invalid-argument answers name the service's fields (page_token,
 * amount.amount_minor, ...) and renames them to the API's (`names`: service field → API field).
 */
export async function withApiFieldNames<T>(call: Promise<T>, names: Record<string, string>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const domain = asDomainError(error);
    if (domain?.kind !== "invalid_argument" || domain.violations.length === 0) throw error;
    const violations = domain.violations.map((v) => ({ field: names[v.field] ?? v.field, description: v.description }));
    throw new DomainError(
      "invalid_argument",
      `invalid ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}`,
      {
        violations,
        ...(domain.reason ? { reason: domain.reason } : {}),
      },
    );
  }
}
