/**
 * Post/redirect/get with a status line: a page's action ends with `back(args, "added")`, a redirect to
 * `<page>?done=added`; the loader turns the flag into its message with `read(request)`, ignoring unknown flags, and
 * the page shows it in a `<DoneNotice>`.
 */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import type { MessageKey } from "~/i18n/dictionary";
import { getAuthHeaders } from "./auth.server";

export function doneFlags<K extends string>(page: string, messages: Readonly<Record<K, MessageKey>>) {
  return {
    /** The message for this request's `?done=` flag; null when there is none or it is not one of this page's. */
    read(request: Request): MessageKey | null {
      const flag = new URL(request.url).searchParams.get("done");
      return flag !== null && Object.hasOwn(messages, flag) ? messages[flag as K] : null;
    },
    /** Ends an action: back to the page with the flag and the headers procedures set (cookies). */
    async back(args: ActionFunctionArgs, done: K): Promise<never> {
      throw redirect(`${page}?done=${done}`, { headers: await getAuthHeaders(args) });
    },
  };
}
