// The event-stream reader is the system harness's (shared with bff-ops' tests).
export { readEventStream, type EventStreamReply, type ServerEvent } from "@marquee/system-testing";
