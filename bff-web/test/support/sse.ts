import type { Visitor } from "./visitor.js";

export interface ServerEvent {
  event: string;
  data: unknown;
  id?: string;
}

export interface EventStreamReply {
  status: number;
  headers: Headers;
  events: ServerEvent[];
  comments: string[];
  /** The body when the answer was not a stream (a problem). */
  text: string;
  /** True when the server ended the stream (false: we stopped reading at the deadline). */
  endedByServer: boolean;
}

/**
 * Opens an event stream with the visitor's cookies and reads it until the server ends it (or
 * `timeoutMs`); `onEvent` sees each event as it arrives.
 */
export async function readEventStream(
  visitor: Visitor,
  path: string,
  timeoutMs = 20_000,
  onEvent: (event: ServerEvent) => void = () => undefined,
): Promise<EventStreamReply> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const response = await fetch(visitor.base + path, {
    headers: { accept: "text/event-stream", cookie: visitor.cookieHeader() },
    signal: abort.signal,
  });
  const result: EventStreamReply = {
    status: response.status,
    headers: response.headers,
    events: [],
    comments: [],
    text: "",
    endedByServer: false,
  };
  try {
    if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) {
      result.text = await response.text();
      return result;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parseBlock(buffer.slice(0, end), result);
        if (event) onEvent(event);
        buffer = buffer.slice(end + 2);
      }
    }
    result.endedByServer = true;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return result;
}

function parseBlock(block: string, into: EventStreamReply): ServerEvent | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) into.comments.push(line.slice(1).trim());
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
    else if (line.startsWith("id: ")) id = line.slice(4);
  }
  if (data.length === 0) return undefined;
  const parsed: ServerEvent = { event, data: JSON.parse(data.join("\n")), ...(id === undefined ? {} : { id }) };
  into.events.push(parsed);
  return parsed;
}
