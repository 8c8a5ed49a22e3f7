import type { ReactNode } from "react";

/** A form-level error (e.g. "Email address or password is incorrect."), announced when it appears. */
export function FormError({ children, id }: { children?: ReactNode; id?: string }) {
  if (!children) return null;
  return (
    <div id={id} role="alert" className="rounded-lk border border-danger px-3 py-2 text-sm text-danger">
      {children}
    </div>
  );
}
