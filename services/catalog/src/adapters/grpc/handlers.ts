import { bindService, validate, type ServiceBinding, type TokenVerifier } from "@marquee/platform";
import { CATALOG_ACCESS } from "@marquee/proto/access";
import { CatalogServiceService } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { createShow } from "../../app/create-show.js";
import { getShow } from "../../app/get-show.js";
import { listShows } from "../../app/list-shows.js";
import type { CatalogDeps } from "../../app/ports.js";
import { publishShow } from "../../app/publish-show.js";
import { updateShow } from "../../app/update-show.js";
import { showToProto } from "./mapping.js";
import { showPageToken } from "./page-token.js";
import { schemas } from "./schemas.js";

/** gRPC edge of the catalog: authenticate the caller, validate the request, run the use case, map the answer. */
export function catalogService(deps: CatalogDeps, verifier: TokenVerifier): ServiceBinding {
  return bindService(CatalogServiceService, CATALOG_ACCESS, {
    createShow: async (request) => {
      const caller = await verifier.requireUser();
      const { organizationId, ...draft } = validate(schemas.createShow, request);
      return { show: showToProto(await createShow(deps, caller, organizationId, draft)) };
    },
    updateShow: async (request) => {
      const caller = await verifier.requireUser();
      return { show: showToProto(await updateShow(deps, caller, validate(schemas.updateShow, request))) };
    },
    publishShow: async (request) => {
      const caller = await verifier.requireUser();
      return { show: showToProto(await publishShow(deps, caller, validate(schemas.publishShow, request).showId)) };
    },
    getShow: async (request) => {
      const caller = await verifier.optionalUser();
      return { show: showToProto(await getShow(deps, caller, validate(schemas.getShow, request).showId)) };
    },
    listShows: async (request) => {
      const caller = await verifier.optionalUser();
      const { shows, next } = await listShows(deps, caller, validate(schemas.listShows, request));
      return { shows: shows.map(showToProto), nextPageToken: next ? showPageToken.encode(next) : "" };
    },
  });
}
