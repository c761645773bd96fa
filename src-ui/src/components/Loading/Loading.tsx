import { Spinner } from "../Spinner/Spinner";
export function Loading({ label }: { label: string }) {
  return (
    <div className="state-panel" data-testid="loading" role="status">
      <Spinner />
      <p>{label}</p>
    </div>
  );
}
