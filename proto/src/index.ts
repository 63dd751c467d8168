import { fileURLToPath } from "node:url";

/** Folder holding the .proto sources (import root for @grpc/proto-loader). */
export const protoRoot = fileURLToPath(new URL("../..", import.meta.url));
