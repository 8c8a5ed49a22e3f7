import { useId, type ReactNode } from "react";

/** The frame of a single-form page (sign in, sign up, reset, …): a titled, labelled column. */
export function FormPage({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={`mx-auto flex w-full ${wide ? "max-w-md" : "max-w-sm"} flex-col gap-6 py-10`}>
      <h1 id={id} className="text-2xl font-semibold">
        {title}
      </h1>
      {children}
    </section>
  );
}
