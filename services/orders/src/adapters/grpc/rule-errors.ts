import { DomainError, type ErrorTranslator } from "@marquee/platform";
import { RuleBroken } from "../../domain/rules.js";

/** Domain rule breaks reach callers as status codes with the rule's reason. */
export const ruleErrors: ErrorTranslator = (error) =>
  error instanceof RuleBroken ? new DomainError(error.kind, error.message, { reason: error.reason }) : undefined;
