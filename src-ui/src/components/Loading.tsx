export function Loading({ label }: { label: string }) {
  return (
    <div className="state-panel" data-testid="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <p>{label}</p>
    </div>
  );
}
