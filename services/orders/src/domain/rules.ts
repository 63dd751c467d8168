/** A business rule said no. The app layer maps the kind to a status (see adapters/grpc). */
export class RuleBroken extends Error {
  constructor(
    readonly kind: "failed_precondition" | "not_found" | "permission_denied" | "aborted",
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "RuleBroken";
  }
}
