import type { IncomingMessage } from "node:http";
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { GraphQLError } from "graphql";
import type { RequestLog } from "./http";
import { annotate, tracingOn } from "../common/tracing";
import { outcomeOf, rootFieldOf, typeOf } from "./labels";
import type { Logger } from "../common/logger";
import type { Metrics } from "./metrics";

/** What the plugin reads of an operation's context. */
export interface ObservedContext {
  viewerId: string | null;
}

/**
 * Logs and counts every GraphQL operation served over HTTP: its root field, type, outcome
 * and duration go to the metrics; its name, outcome and viewer join the request's log line
 * (see RequestLog). Errors without a code (bugs, a lost database) are logged whole, with the
 * request id, since production answers mask them. Requests refused before an operation
 * exists (a bad token, a malformed request) are counted as `unknown`.
 */
export function observabilityPlugin<C extends ObservedContext>(
  logger: Logger,
  metrics: Metrics,
  requests: RequestLog,
  requestOf: (context: C) => IncomingMessage | undefined,
): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const start = performance.now();
      const req = requestOf(contextValue);
      const reqId = req ? requests.idOf(req) : undefined;
      const listener: GraphQLRequestListener<C> = {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (!isUnexpected(error)) continue;
            logger.error({ reqId, err: error.originalError ?? error }, "unexpected error");
          }
        },
        async willSendResponse({ operation, operationName, request, response, contextValue }) {
          const seconds = (performance.now() - start) / 1000;
          const body = response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : undefined;
          const field = rootFieldOf(operation);
          const type = typeOf(operation);
          const outcome = outcomeOf(errors);
          metrics.operation(field, type, outcome, seconds);
          // On the request's span: which operation it ran (names only, never variables).
          if (tracingOn()) {
            annotate({
              "graphql.operation.type": type,
              // The document's own name: the client's label, letters, digits and underscores
              // only (no address or sentence fits in one); never the free-text operationName.
              "graphql.operation.name": operation?.name?.value ?? "",
              "graphql.root_field": field,
              "graphql.outcome": outcome,
            });
          }
          if (req) {
            requests.setOperation(req, {
              operation: operationName ?? request.operationName ?? null,
              field,
              type,
              outcome,
              memberId: contextValue.viewerId,
            });
          }
        },
      };
      return listener;
    },
    // No operation ran: counted, not timed (the histogram holds operations that ran).
    async contextCreationDidFail({ error }) {
      metrics.operation("unknown", "unknown", outcomeOf([error as GraphQLError]));
    },
    async invalidRequestWasReceived() {
      metrics.operation("unknown", "unknown", "BAD_REQUEST");
    },
  };
}

/** An error the API did not mean to raise: no code, or Apollo's INTERNAL_SERVER_ERROR. */
export function isUnexpected(error: GraphQLError): boolean {
  const code = error.extensions?.code;
  return code === undefined || code === "INTERNAL_SERVER_ERROR";
}
