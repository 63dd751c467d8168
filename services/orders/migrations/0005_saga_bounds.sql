-- Up Migration
-- Bounded purchases (SAGA_MAX_ATTEMPTS, SAGA_DEADLINE_MS): two more kinds of saga rows.
--   compensate: a purchase given up (rejected SAGA_FAILED) still owes its compensations (release
--               the seats, refund the charge); retried until done, never given up.
--   deadline:   choreography's timer per pending purchase, due at SAGA_DEADLINE_MS; deleted by the
--               append that ends the purchase, else it gives the purchase up.
ALTER TABLE sagas DROP CONSTRAINT sagas_kind_check;
ALTER TABLE sagas ADD CONSTRAINT sagas_kind_check CHECK (kind IN ('purchase', 'cancel', 'compensate', 'deadline'));

-- Down Migration
DELETE FROM sagas WHERE kind IN ('compensate', 'deadline');
ALTER TABLE sagas DROP CONSTRAINT sagas_kind_check;
ALTER TABLE sagas ADD CONSTRAINT sagas_kind_check CHECK (kind IN ('purchase', 'cancel'));
