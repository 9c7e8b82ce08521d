import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
} from 'botbuilder';
import type { TeamsCredentials } from '../boot/bot-config';
import type { TurnLogic } from './turn-logic';
import { EMULATOR_SERVICE_URL_REFUSAL, emulatorRequestIsLocal, guardEmulatorTurn, isLoopbackUrl, type RequestOrigin } from './emulator-guard';

/** botframework-connector's AuthenticateRequestResult, without depending on that transitive package. */
type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/** What the HTTP edge writes back: a status and, for invoke activities, a JSON body. */
export interface TeamsHttpReply {
  status: number;
  body?: unknown;
}

/**
 * The Bot Framework transport for Teams: one CloudAdapter per warm instance.
 *
 * With an app id (and password), every inbound activity must carry a Bot Framework JWT that
 * botbuilder verifies against the channel's OpenID keys, and replies are sent with an app token.
 * Without one, authentication is disabled: the Bot Framework Emulator (and the tests' stand-in
 * connector) talk to the bot directly, and admin actions run only for requests from this
 * machine to a server bound to loopback (emulator-guard.ts). There is no third mode.
 */
export class TeamsAdapter extends CloudAdapter {
  /** The bot's app id as outbound calls (create conversation) need it; '' in Emulator mode. */
  readonly appId: string;
  readonly authenticationEnabled: boolean;

  /** Emulator mode: the host the local server listens on (admin actions need a loopback one). */
  private readonly bindHost: string | undefined;

  constructor(credentials: TeamsCredentials, options: { bindHost?: string } = {}) {
    const appId = credentials.appId ?? '';
    const settings = {
      MicrosoftAppId: appId,
      MicrosoftAppPassword: credentials.appPassword ?? '',
      MicrosoftAppType: appId ? (credentials.tenantId ? 'SingleTenant' : 'MultiTenant') : '',
      MicrosoftAppTenantId: credentials.tenantId ?? '',
    };
    super(
      new ConfigurationBotFrameworkAuthentication(
        { MicrosoftAppId: appId, MicrosoftAppTenantId: settings.MicrosoftAppTenantId },
        new ConfigurationServiceClientCredentialFactory(settings),
      ),
    );
    this.appId = appId;
    this.authenticationEnabled = appId !== '';
    this.bindHost = options.bindHost;
  }

  /**
   * One POST to the messaging endpoint. This is CloudAdapter.process without its Express-shaped
   * response object, and with authentication failing closed: any error while verifying the JWT
   * (a bad token, or the OpenID key fetch failing) is a 401, never a 500 and never a turn.
   */
  async handle(
    request: { method?: string; headers: Record<string, string | string[] | undefined>; body: string | undefined; origin?: RequestOrigin },
    logic: TurnLogic,
  ): Promise<TeamsHttpReply> {
    if (request.method !== 'POST') return { status: 405 };
    const activity = parseActivity(request.body);
    if (!activity) return { status: 400, body: { error: 'expected a Bot Framework activity (JSON object with a type)' } };
    const header = request.headers.authorization ?? request.headers.Authorization;
    const authorization = Array.isArray(header) ? header[0] ?? '' : header ?? '';

    let auth: AuthenticateRequestResult;
    try {
      auth = await this.botFrameworkAuthentication.authenticateRequest(activity, authorization);
    } catch {
      return { status: 401, body: { error: 'unauthorized' } };
    }
    // Emulator mode posts answers only to a loopback serviceUrl: an unauthenticated activity must
    // not make this server send requests to a URL of the sender's choosing.
    if (!this.authenticationEnabled && !isLoopbackUrl(activity.serviceUrl)) return { status: 403, body: { error: EMULATOR_SERVICE_URL_REFUSAL } };
    const turn = this.authenticationEnabled ? logic : guardEmulatorTurn(logic, emulatorRequestIsLocal(this.bindHost, request.origin, activity.serviceUrl));
    const invoke = await this.processActivity(auth, activity, turn);
    return invoke ? { status: invoke.status, body: invoke.body } : { status: 200 };
  }
}

function parseActivity(body: string | undefined): Activity | undefined {
  if (!body) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const activity = value as Activity & Record<string, unknown>;
  if (typeof activity.type !== 'string' || !activity.type) return undefined;
  // As botbuilder's own validateAndFixActivity: wire timestamps become Dates, raw strings kept.
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['localTimestamp', 'rawLocalTimestamp'], ['expiration', 'rawExpiration']] as const) {
    const text = activity[field];
    if (typeof text === 'string') {
      activity[raw] = text;
      activity[field] = new Date(text);
    }
  }
  return activity;
}
