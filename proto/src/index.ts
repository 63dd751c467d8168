import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Folder holding the .proto sources. */
export const protoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** A file of the contract set, as the compiler described it (google.protobuf.FileDescriptorProto). */
export interface FileDescriptor {
  name: string;
  bytes: Uint8Array;
}

const DESCRIPTOR_SETS = ["gen/marquee.binpb", "gen/health.binpb"];

/**
 * Every .proto file of the contracts (with their imports and the gRPC health protocol) exactly as
 * `buf build` compiled them. Server reflection serves these bytes: descriptors rebuilt by
 * protobuf.js get map entries and well-known imports wrong, which breaks grpcurl.
 */
export function fileDescriptors(): FileDescriptor[] {
  const byName = new Map<string, Uint8Array>();
  for (const set of DESCRIPTOR_SETS) {
    for (const bytes of repeatedBytes(readFileSync(new URL(`../../${set}`, import.meta.url)), 1)) {
      const name = new TextDecoder().decode(repeatedBytes(bytes, 1)[0]);
      if (!byName.has(name)) byName.set(name, bytes);
    }
  }
  return [...byName].map(([name, bytes]) => ({ name, bytes }));
}

/** The length-delimited values of one field number in a serialized message. */
function repeatedBytes(message: Uint8Array, fieldNo: number): Uint8Array[] {
  const reader = new BinaryReader(message);
  const values: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === fieldNo && wireType === WireType.LengthDelimited) values.push(reader.bytes());
    else reader.skip(wireType);
  }
  return values;
}
