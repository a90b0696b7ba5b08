// CreateApplicationPresignedUrl: the URL of an application's extension — for a streaming (Flink)
// application its Apache Flink dashboard.
// API reference: https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CreateApplicationPresignedUrl.html
// - UrlType FLINK_DASHBOARD_URL | ZEPPELIN_UI_URL (required); SessionExpirationDurationInSeconds
//   1800-43200, "If you do not provide this parameter, the returned URL is valid for twelve hours";
// - the URL "must be used within 3 minutes to be valid", else HTTP 403;
// - errors: InvalidArgumentException, ResourceInUseException ("The application is not available for this
//   operation"), ResourceNotFoundException.
// The emulator serves no dashboard; the URL names the application, the expiry and a one-time token so a
// client can show or open it, and tests can check what was asked for.
import { randomBytes } from "node:crypto";
import { invalidArgument, resourceInUse } from "./errors.js";
import { current, type Handler } from "./store.js";

const defaultSessionSeconds = 12 * 3600;

const createApplicationPresignedUrl: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
  const type = input.UrlType as string;
  const mode = current(app).content.ApplicationMode ?? "STREAMING";
  // A Studio notebook (INTERACTIVE) has a Zeppelin UI; a streaming application has the Flink dashboard.
  if ((type === "ZEPPELIN_UI_URL") !== (mode === "INTERACTIVE")) {
    throw invalidArgument(`UrlType ${type} is not available for a ${mode} application`);
  }
  // The dashboard is served by the application's running Flink cluster: nothing to connect to otherwise.
  // (An inference from ResourceInUseException; the API reference names no statuses.)
  if (app.status !== "RUNNING") {
    throw resourceInUse(`Application ${app.name} is in ${app.status} status; its dashboard is not available`);
  }
  const session = (input.SessionExpirationDurationInSeconds as number | undefined) ?? defaultSessionSeconds;
  const expires = new Date(store.now() + session * 1000);
  const token = randomBytes(18).toString("base64url");
  const host = `${app.name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}.flink-dashboard.${store.region}.emulator.invalid`;
  return {
    AuthorizedUrl: `https://${host}/#/overview?authToken=${token}&expires=${expires.toISOString()}`,
  };
};

export const presignedUrlOperations: Record<string, Handler> = {
  CreateApplicationPresignedUrl: createApplicationPresignedUrl,
};
