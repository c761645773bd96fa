import type { ComponentProps } from "react";

type Props = Omit<ComponentProps<"form">, "onSubmit" | "onKeyDown"> & {
  /** Enter in a field, a submit button, or Ctrl+Enter (⌘+Enter) when `ctrlEnter`. */
  onSubmit: () => void;
  /** Ctrl+Enter (⌘+Enter) submits from anywhere in the form, a textarea too. */
  ctrlEnter?: boolean;
};

/** A form that submits in the window (never a page load). */
export function Form({ onSubmit, ctrlEnter = false, children, ...props }: Props) {
  return (
    <form
      {...props}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      onKeyDown={
        ctrlEnter
          ? (e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                onSubmit();
              }
            }
          : undefined
      }
    >
      {children}
    </form>
  );
}
