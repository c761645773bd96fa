// Adding one's own repository from the window: a path field and a button. The core validates the repository's
// tasks file before registering anything; a refusal comes back as a toast and the path stays in the field.
import { useId, useState, type FormEvent } from "react";
import styles from "./AddProject.module.css";

type Props = {
  /** Resolves once the project was added (or rejects; the caller shows why). */
  onAdd: (path: string) => Promise<void>;
};

export function AddProject({ onAdd }: Props) {
  const inputId = useId();
  const [path, setPath] = useState("");
  const [adding, setAdding] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const wanted = path.trim();
    if (wanted === "" || adding) return;
    setAdding(true);
    onAdd(wanted).then(
      () => {
        setAdding(false);
        setPath("");
      },
      () => setAdding(false),
    );
  };
  return (
    <form className={styles.addProject} data-testid="add-project" onSubmit={submit}>
      <label className={styles.addProjectLabel} htmlFor={inputId}>
        Add a repository (its path)
      </label>
      <div className={styles.addProjectRow}>
        <input
          id={inputId}
          className={styles.addProjectPath}
          data-testid="add-project-path"
          type="text"
          title="The path of a folder inside a git repository, e.g. ~/code/shop"
          spellCheck={false}
          autoComplete="off"
          value={path}
          onChange={(event) => setPath(event.target.value)}
          disabled={adding}
        />
        <button type="submit" className="button small" data-testid="add-project-submit" disabled={adding || path.trim() === ""}>
          {adding ? "Adding…" : "Add"}
        </button>
      </div>
    </form>
  );
}
