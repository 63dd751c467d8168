-- Up Migration
-- The trace context of the call that scheduled the saga (OrderPlaced's, or the cancellation's):
-- the worker runs the saga later, in its own loop, and starts its spans as children of this one,
-- so one trace shows the call, the saga steps and the calls they make.
ALTER TABLE sagas ADD COLUMN traceparent text;

-- Down Migration
ALTER TABLE sagas DROP COLUMN traceparent;
