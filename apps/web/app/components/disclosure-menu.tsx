import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useLocation } from "@remix-run/react";

const OPEN_EVENT = "latchkey:menu-open";

export interface DisclosureMenuProps {
  /** The accessible name of the button that opens the menu. */
  label: string;
  /** What the button shows (an avatar, the current organization). */
  summary: ReactNode;
  summaryClassName?: string;
  panelClassName?: string;
  children: ReactNode;
}

/**
 * A header menu: a native <details> disclosure, so it opens and its forms work without JavaScript. With JavaScript it
 * behaves like a menu should: `aria-expanded` on its button, Escape (focus back on the button) and a click outside
 * close it, opening one header menu closes the others, and a navigation closes it.
 */
export function DisclosureMenu({ label, summary, summaryClassName, panelClassName, children }: DisclosureMenuProps) {
  const detailsRef = useRef<HTMLDetailsElement>(null);
  const summaryRef = useRef<HTMLElement>(null);
  const panelId = useId();
  const [open, setOpen] = useState(false);
  // aria-expanded only once hydrated: without JavaScript nothing would keep it true while the menu is open.
  const [hydrated, setHydrated] = useState(false);
  const location = useLocation();

  useEffect(() => setHydrated(true), []);

  // A navigation (a link, a form that redirects) closes the menu.
  useEffect(() => {
    if (detailsRef.current) detailsRef.current.open = false;
  }, [location.key]);

  useEffect(() => {
    const details = detailsRef.current;
    if (!open || !details) return;
    document.dispatchEvent(new CustomEvent(OPEN_EVENT, { detail: details }));
    function onKeyDown(event: KeyboardEvent) {
      if (event.key !== "Escape" || !details) return;
      details.open = false;
      summaryRef.current?.focus();
    }
    function onPointerDown(event: PointerEvent) {
      if (details && event.target instanceof Node && !details.contains(event.target)) details.open = false;
    }
    function onOtherOpened(event: Event) {
      if (details && (event as CustomEvent<HTMLElement>).detail !== details) details.open = false;
    }
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener(OPEN_EVENT, onOtherOpened);
    return () => {
      document.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener(OPEN_EVENT, onOtherOpened);
    };
  }, [open]);

  return (
    <details ref={detailsRef} className="relative" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary
        ref={summaryRef}
        aria-label={label}
        aria-controls={panelId}
        aria-expanded={hydrated ? open : undefined}
        className={summaryClassName}
      >
        {summary}
      </summary>
      <div id={panelId} className={panelClassName}>
        {children}
      </div>
    </details>
  );
}
