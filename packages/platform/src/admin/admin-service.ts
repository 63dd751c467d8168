import { jetstreamManager } from "@nats-io/jetstream";
import { z } from "zod";
import { ADMIN_ACCESS } from "@marquee/proto/access";
import { AdminServiceService } from "@marquee/proto/marquee/admin/v1/admin_service";
import { ActionOutcome } from "@marquee/proto/marquee/admin/v1/audit";
import { asDomainError, DomainError, notFound } from "../errors.js";
import { bindService, type ServiceBinding } from "../grpc-server.js";
import type { ServiceRuntime } from "../service.js";
import { validate } from "../validation.js";
import { wasApplied } from "./audit.js";
import { DeadLetters, deadLetterOf, eventOf, type StoredDeadLetter } from "./dead-letters.js";
import { overviewOf } from "./overview.js";

export const DEAD_LETTER_ACTIONS = { redrive: "dead-letter.redrive", discard: "dead-letter.discard" } as const;

/** A dead letter as an audit record names it (its sequence is unique in the namespace's stream). */
export const deadLetterTarget = (sequence: number): string => `dead-letter:${sequence}`;

const pageSize = z
  .number()
  .int()
  .min(0)
  .max(200)
  .transform((size) => size || 50);
const sequence = z.number().int().positive("a dead letter's sequence (from 1)");
const reason = z.string().refine((text) => text.trim() !== "", "say why (kept in the audit log)");

const listDeadLetters = z.object({ consumer: z.string(), pageSize, afterSequence: z.number().int().min(0) });
const oneDeadLetter = z.object({ sequence });
const deadLetterAction = z.object({ sequence, reason });
const listAuditRecords = z.object({ pageSize, beforeSequence: z.number().int().min(0), target: z.string() });

/**
 * The platform's admin service, served by every service (runService), to operators only
 * (ADMIN_ACCESS): the overview of what the process depends on and owes, its consumers' dead
 * letters (read, redriven to their handler, discarded), and its part of the audit log. Redrive
 * and discard run through the audit log and are idempotent: a dead letter once redriven or
 * discarded is gone, and a repeat finds the earlier action in the log (ALREADY_DONE).
 */
export async function adminService(runtime: ServiceRuntime): Promise<ServiceBinding> {
  const jsm = await jetstreamManager(runtime.nats, { timeout: 3_000 });
  const deadLetters = new DeadLetters(jsm, runtime.namespace, () => [...runtime.subscriptions.keys()]);
  const APPLIED = ActionOutcome.ACTION_OUTCOME_APPLIED;
  const ALREADY_DONE = ActionOutcome.ACTION_OUTCOME_ALREADY_DONE;

  /** Gone: removed by an earlier redrive or discard (this service's log says so), or never ours. */
  const goneBefore = async (at: number): Promise<ActionOutcome> => {
    if (await wasApplied(runtime.audit, deadLetterTarget(at), Object.values(DEAD_LETTER_ACTIONS))) return ALREADY_DONE;
    throw notFound(`dead letter ${at}`);
  };
  const redrive = async (letter: StoredDeadLetter): Promise<void> => {
    const subscribed = runtime.subscriptions.get(letter.durable);
    if (!subscribed) throw notFound(`consumer ${letter.durable}`);
    const event = eventOf(letter);
    try {
      await subscribed.handleOne(event);
    } catch (error) {
      throw handlerFailure(letter, error);
    }
  };

  return bindService(AdminServiceService, ADMIN_ACCESS, {
    getOverview: () => overviewOf(runtime, jsm, deadLetters),
    listDeadLetters: async (request) => {
      const { consumer, ...page } = validate(listDeadLetters, request);
      if (consumer && !runtime.subscriptions.has(consumer)) throw notFound(`consumer ${consumer} of ${runtime.name}`);
      const durables = consumer ? [consumer] : [...runtime.subscriptions.keys()];
      const { letters, nextAfterSequence } = await deadLetters.list({ durables, ...page });
      return { deadLetters: letters.map(deadLetterOf), nextAfterSequence };
    },
    getDeadLetter: async (request) => {
      const { sequence: at } = validate(oneDeadLetter, request);
      const letter = await deadLetters.find(at);
      if (!letter) throw notFound(`dead letter ${at}`);
      return { deadLetter: deadLetterOf(letter) };
    },
    redriveDeadLetter: async (request) => {
      const { sequence: at, reason: why } = validate(deadLetterAction, request);
      return runtime.audit.perform(
        { action: DEAD_LETTER_ACTIONS.redrive, target: deadLetterTarget(at), reason: why },
        async () => {
          const letter = await deadLetters.find(at);
          if (!letter) return goneBefore(at);
          await redrive(letter);
          // The handler's inbox makes a racing second redrive change nothing; the first to remove it applied it.
          return (await deadLetters.remove(at)) ? APPLIED : ALREADY_DONE;
        },
      );
    },
    discardDeadLetter: async (request) => {
      const { sequence: at, reason: why } = validate(deadLetterAction, request);
      return runtime.audit.perform(
        { action: DEAD_LETTER_ACTIONS.discard, target: deadLetterTarget(at), reason: why },
        async () => {
          if (!(await deadLetters.find(at))) return goneBefore(at);
          return (await deadLetters.remove(at)) ? APPLIED : ALREADY_DONE;
        },
      );
    },
    listAuditRecords: async (request) => {
      const { pageSize: size, beforeSequence, target } = validate(listAuditRecords, request);
      return runtime.audit.list({ pageSize: size, beforeSequence, ...(target ? { target } : {}) });
    },
  });
}

/**
 * The handler failed again: the dead letter stays. A dependency that is down is UNAVAILABLE (try
 * later); anything else is the event's own problem, FAILED_PRECONDITION with what the handler said.
 */
function handlerFailure(letter: StoredDeadLetter, error: unknown): unknown {
  const kind = asDomainError(error)?.kind;
  if (kind === "unavailable" || kind === "deadline_exceeded") return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DomainError("failed_precondition", `${letter.durable} failed to handle it again: ${message}`, {
    reason: "HANDLER_FAILED",
    cause: error,
  });
}
