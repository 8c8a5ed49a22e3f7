/** The tRPC HTTP endpoint. Authorization happens per procedure inside the router. */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleTrpcRequest } from "@latchkey/api";
import { getDb } from "~/lib/db.server";
import { getEnv } from "~/lib/env.server";
import { getMailer } from "~/lib/mailer.server";
import { getKeyring } from "~/lib/keyring.server";
import { getSmsSender } from "~/lib/sms.server";

async function handle({ request, context }: LoaderFunctionArgs | ActionFunctionArgs): Promise<Response> {
  const handle = await getDb();
  return handleTrpcRequest(request, {
    db: handle.db,
    appUrl: getEnv().APP_URL,
    ip: typeof context.clientIp === "string" ? context.clientIp : null,
    mailer: getMailer(),
    keyring: getKeyring(),
    sms: getSmsSender(),
  });
}

export const loader = handle;
export const action = handle;
