import { Children, isValidElement, type ReactElement, type ReactNode } from "react";
import { Form, Link } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { HeaderSession } from "~/lib/header-session";
import { DisclosureMenu } from "./disclosure-menu";
import { ThemeSwitch } from "./theme-switch";

/** The built-in entries a `UserButton.Action` can name to place them among custom ones, as in Clerk. */
type BuiltInItem = "manageAccount" | "signOut";

export interface UserButtonLinkProps {
  label: string;
  href: string;
  labelIcon?: ReactNode;
}

export interface UserButtonActionProps {
  /** A built-in entry's name (`manageAccount`, `signOut`) to place it here, or the text of a custom action. */
  label: BuiltInItem | (string & {});
  labelIcon?: ReactNode;
  /** A custom action's handler (needs JavaScript; prefer `UserButton.Link` for something that must work without). */
  onClick?: () => void;
}

/** A custom link in the account menu (works without JavaScript). */
function UserButtonLink(props: UserButtonLinkProps): ReactElement | null {
  void props;
  return null;
}

/** A custom action in the account menu, or a built-in entry placed by name. */
function UserButtonAction(props: UserButtonActionProps): ReactElement | null {
  void props;
  return null;
}

/** Holds `UserButton.Link` and `UserButton.Action` entries, in the order they should appear. */
function UserButtonMenuItems({ children }: { children: ReactNode }): ReactElement | null {
  void children;
  return null;
}

export interface UserButtonProps {
  user: HeaderSession["user"];
  /** `<UserButton.MenuItems>` with `UserButton.Link` / `UserButton.Action` entries, like Clerk's custom menu items. */
  children?: ReactNode;
}

type Entry = { kind: "link"; props: UserButtonLinkProps } | { kind: "action"; props: UserButtonActionProps } | { kind: "builtIn"; item: BuiltInItem };

/** The menu's entries: the developer's, in their order, with the built-ins they did not place appended. */
function menuEntries(children: ReactNode): Entry[] {
  const entries: Entry[] = [];
  Children.forEach(children, (child) => {
    if (!isValidElement<{ children?: ReactNode }>(child) || child.type !== UserButtonMenuItems) return;
    Children.forEach(child.props.children, (item) => {
      if (!isValidElement(item)) return;
      if (item.type === UserButtonLink) entries.push({ kind: "link", props: item.props as UserButtonLinkProps });
      if (item.type === UserButtonAction) {
        const props = item.props as UserButtonActionProps;
        const builtIn = props.label === "manageAccount" || props.label === "signOut" ? (props.label as BuiltInItem) : null;
        if (builtIn && !props.onClick) entries.push({ kind: "builtIn", item: builtIn });
        else entries.push({ kind: "action", props });
      }
    });
  });
  if (!entries.some((e) => e.kind === "builtIn" && e.item === "manageAccount")) entries.unshift({ kind: "builtIn", item: "manageAccount" });
  if (!entries.some((e) => e.kind === "builtIn" && e.item === "signOut")) entries.push({ kind: "builtIn", item: "signOut" });
  return entries;
}

const itemClass = "flex items-center gap-2 rounded-lk px-2 py-1.5 text-left text-sm hover:bg-subtle";

/** The avatar menu (see DisclosureMenu): it opens and signs out without JavaScript too. */
export function UserButton({ user, children }: UserButtonProps) {
  const t = useT();
  const entries = menuEntries(children);
  return (
    <DisclosureMenu
      label={t("userButton.label")}
      summaryClassName="flex cursor-pointer list-none items-center gap-2 rounded-full focus-visible:outline-2"
      panelClassName="absolute right-0 z-10 mt-2 flex w-64 flex-col gap-1 rounded-lk border border-border bg-bg p-3 shadow-lg"
      summary={
        user.imageUrl ? (
          <img src={user.imageUrl} alt="" className="h-8 w-8 rounded-full object-cover" />
        ) : (
          <span aria-hidden="true" className="flex h-8 w-8 items-center justify-center rounded-full bg-primary text-xs font-semibold text-primary-fg">
            {user.initials}
          </span>
        )
      }
    >
      <p className="font-medium">{user.name ?? user.email}</p>
      {user.name && user.email ? <p className="mb-2 truncate text-sm text-muted">{user.email}</p> : null}
      {entries.map((entry, index) => {
        if (entry.kind === "link") {
          return (
            <Link key={index} to={entry.props.href} className={itemClass}>
              {entry.props.labelIcon}
              {entry.props.label}
            </Link>
          );
        }
        if (entry.kind === "action") {
          return (
            <button key={index} type="button" onClick={entry.props.onClick} className={itemClass}>
              {entry.props.labelIcon}
              {entry.props.label}
            </button>
          );
        }
        if (entry.item === "manageAccount") {
          return (
            <Link key={index} to="/user" className={itemClass}>
              {t("user.manageAccount")}
            </Link>
          );
        }
        return (
          <div key={index} className="contents">
            <ThemeSwitch />
            <Form method="post" action="/sign-out" className="mt-2 border-t border-border pt-2">
              <button type="submit" className={`w-full ${itemClass}`}>
                {t("nav.signOut")}
              </button>
            </Form>
          </div>
        );
      })}
    </DisclosureMenu>
  );
}

UserButton.MenuItems = UserButtonMenuItems;
UserButton.Link = UserButtonLink;
UserButton.Action = UserButtonAction;
