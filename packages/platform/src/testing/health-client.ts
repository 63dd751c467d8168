import { loadPackageDefinition, type ChannelCredentials, type Client, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";

export enum HealthCheckResponse_ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  SERVICE_UNKNOWN = 3,
}

interface HealthStub extends Client {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: ServiceError | null, response: { status: HealthCheckResponse_ServingStatus }) => void,
  ): void;
}

type HealthConstructor = new (address: string, credentials: ChannelCredentials) => HealthStub;

const definition = loadSync(protoPath);
// loadPackageDefinition builds the client at run time; its shape is the health.proto contract above.
const loaded = loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: HealthConstructor } } };
};

/** grpc.health.v1.Health client (the package ships the server side only). */
export const HealthClient: HealthConstructor = loaded.grpc.health.v1.Health;
