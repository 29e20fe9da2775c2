import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import type { Config } from "../config";
import { STARTER_DOCUMENT, STARTER_VARIABLES } from "./starter";

/**
 * Apollo Sandbox at GET /graphql (a browser's `Accept: text/html`) outside production, with
 * the starter operations and an empty `authorization` header to fill in (empty, a request
 * runs as nobody; a placeholder would be refused as a bad token). In production, no landing
 * page: the GET is an ordinary GraphQL request.
 */
export function landingPagePlugin(config: Config): ApolloServerPlugin {
  if (config.production) return ApolloServerPluginLandingPageDisabled();
  return ApolloServerPluginLandingPageLocalDefault({
    document: STARTER_DOCUMENT,
    variables: STARTER_VARIABLES,
    headers: { authorization: "" },
    // Tokens travel in the header only; the API sets and reads no cookie.
    includeCookies: false,
    embed: { runTelemetry: false, endpointIsEditable: false },
  });
}
