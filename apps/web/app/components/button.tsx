import type { ButtonHTMLAttributes, MouseEvent } from "react";
import { useT } from "~/i18n/react";
import { useAppearance } from "./latchkey-provider";
import { elementProps } from "~/lib/appearance";

type Variant = "primary" | "secondary" | "danger";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  /** While true the button reads "Working…" (or `pendingLabel`), is marked busy and ignores clicks. */
  pending?: boolean;
  pendingLabel?: string;
}

const variants: Record<Variant, string> = {
  primary: "bg-primary text-primary-fg hover:bg-primary-hover border-transparent",
  secondary: "bg-bg text-fg hover:bg-subtle border-border",
  danger: "bg-danger text-danger-fg hover:opacity-90 border-transparent",
};

export function Button({
  variant = "primary",
  pending = false,
  pendingLabel,
  type = "submit",
  className = "",
  children,
  onClick,
  style,
  ...props
}: ButtonProps) {
  const t = useT();
  const appearance = useAppearance();
  const base = `inline-flex min-h-10 items-center justify-center gap-2 rounded-lk border px-4 py-2 text-sm font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-60 aria-busy:cursor-progress ${variants[variant]} ${className}`;
  const styled = variant === "primary" ? elementProps(appearance, "formButtonPrimary", base) : { className: base };
  // aria-disabled rather than disabled while pending, so the button keeps keyboard focus.
  function handleClick(event: MouseEvent<HTMLButtonElement>) {
    if (pending) {
      event.preventDefault();
      return;
    }
    onClick?.(event);
  }
  return (
    <button
      type={type}
      aria-busy={pending || undefined}
      aria-disabled={pending || undefined}
      onClick={handleClick}
      className={styled.className}
      style={styled.style ? { ...styled.style, ...style } : style}
      {...props}
    >
      {pending ? (pendingLabel ?? t("common.pending")) : children}
    </button>
  );
}
