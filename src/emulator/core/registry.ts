// The providers one emulator serves, indexed for the core: resource types by full type, namespaces by
// name (the providers list and registration), and provider routes (POST/GET on a provider path that is
// not a resource) in the order they are matched.
import type { EmulatorProvider, ProviderRoute, ResourceTypeHandler } from "../types.js";
import { sameText } from "./common.js";

interface IndexedRoute {
  provider: EmulatorProvider;
  route: ProviderRoute;
  parts: string[];
  literals: number;
}

export interface RouteMatch {
  provider: EmulatorProvider;
  route: ProviderRoute;
  params: Record<string, string>;
}

export class ProviderRegistry {
  private readonly handlers = new Map<string, ResourceTypeHandler>();
  private readonly namespaces = new Map<string, EmulatorProvider>();
  private readonly routes: IndexedRoute[] = [];

  /** A namespace's catalog entry (providers list) is its first provider's; later ones may add routes and types. */
  constructor(providers: EmulatorProvider[]) {
    for (const provider of providers) {
      if (!this.namespaces.has(provider.namespace.toLowerCase())) this.namespaces.set(provider.namespace.toLowerCase(), provider);
      for (const handler of provider.types) this.handlers.set(handler.type.toLowerCase(), handler);
      for (const route of provider.routes ?? []) {
        const parts = route.path.split("/").filter(Boolean);
        this.routes.push({ provider, route, parts, literals: parts.filter((part) => !part.startsWith("{")).length });
      }
    }
    // Most specific routes first, so "{namespace}/register" never hides "Microsoft.Storage/checkNameAvailability".
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  handlerFor(type: string): ResourceTypeHandler | undefined {
    return this.handlers.get(type.toLowerCase());
  }

  provider(namespace: string): EmulatorProvider | undefined {
    return this.namespaces.get(namespace.toLowerCase());
  }

  /** Every namespace, in registration order (GET /subscriptions/{id}/providers). */
  providers(): EmulatorProvider[] {
    return [...this.namespaces.values()];
  }

  /** The route for a method and the path after `/subscriptions/{sub}/providers/`, with its `{name}` parameters. */
  matchRoute(method: string, after: string[]): RouteMatch | undefined {
    for (const candidate of this.routes) {
      if (candidate.route.method !== method || candidate.parts.length !== after.length) continue;
      const params: Record<string, string> = {};
      const matches = candidate.parts.every((part, index) => {
        if (part.startsWith("{") && part.endsWith("}")) {
          params[part.slice(1, -1)] = after[index]!;
          return true;
        }
        return sameText(part, after[index]);
      });
      if (matches) return { provider: candidate.provider, route: candidate.route, params };
    }
    return undefined;
  }
}
