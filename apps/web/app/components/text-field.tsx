import { forwardRef, useId, type InputHTMLAttributes } from "react";
import { useElement } from "./latchkey-provider";

export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id"> {
  /** The visible label, tied to the input. */
  label: string;
  name: string;
  /** Shown under the input, announced, and marks the input invalid. */
  error?: string | null;
  /** Help text under the label. */
  description?: string;
}

export const TextField = forwardRef<HTMLInputElement, TextFieldProps>(function TextField(
  { label, error, description, className = "", type = "text", ...props },
  ref,
) {
  const id = useId();
  const errorId = `${id}-error`;
  const descriptionId = `${id}-description`;
  const describedBy = [description ? descriptionId : null, error ? errorId : null].filter(Boolean).join(" ");
  const labelProps = useElement("formFieldLabel", "text-sm font-medium text-fg");
  const inputProps = useElement(
    "formFieldInput",
    "min-h-10 rounded-lk border border-border bg-[var(--lk-input-bg,var(--lk-bg))] px-3 py-2 text-[var(--lk-input-fg,var(--lk-fg))] aria-[invalid=true]:border-danger",
  );
  const errorProps = useElement("formFieldErrorText", "text-sm text-danger");
  return (
    <div className={`flex flex-col gap-1 ${className}`}>
      <label htmlFor={id} {...labelProps}>
        {label}
      </label>
      {description ? (
        <p id={descriptionId} className="text-sm text-muted">
          {description}
        </p>
      ) : null}
      <input
        ref={ref}
        id={id}
        type={type}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...inputProps}
        {...props}
      />
      {error ? (
        <p id={errorId} role="alert" {...errorProps}>
          {error}
        </p>
      ) : null}
    </div>
  );
});
