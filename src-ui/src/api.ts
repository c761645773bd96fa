// A thin typed wrapper over the Tauri commands of the Rust side. Every rejection reaches callers as an
// `ErrorDto`; the UI branches on `code`, never on `message`.
import { invoke } from "@tauri-apps/api/core";
import type { Board, ErrorDto, Project, ProjectSummary } from "./bindings";

/** The code given to rejections that did not carry an `ErrorDto`. */
export const UNKNOWN_ERROR = "unknown";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Turns anything a command may reject with into an `ErrorDto`. */
export function toErrorDto(reason: unknown): ErrorDto {
  if (typeof reason === "string") {
    return { code: UNKNOWN_ERROR, message: reason };
  }
  if (isRecord(reason)) {
    const code = typeof reason.code === "string" && reason.code !== "" ? reason.code : UNKNOWN_ERROR;
    if (typeof reason.message === "string") {
      return { code, message: reason.message };
    }
    if (code !== UNKNOWN_ERROR) {
      return { code, message: code };
    }
    return { code, message: describe(reason) };
  }
  return { code: UNKNOWN_ERROR, message: describe(reason) };
}

function describe(value: unknown): string {
  if (value === undefined) return "Unknown error";
  try {
    return JSON.stringify(value) ?? "Unknown error";
  } catch {
    return "Unknown error";
  }
}

/** Calls a command; a rejection becomes an `ErrorDto`. */
function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  // Not an Error on purpose: callers branch on `code` (see the eslint config).
  return invoke<T>(command, args).catch((reason: unknown) => Promise.reject(toErrorDto(reason)));
}

export function listProjects(): Promise<ProjectSummary[]> {
  return call<ProjectSummary[]>("list_projects");
}

export function getBoard(projectId: string): Promise<Board> {
  return call<Board>("get_board", { projectId });
}

/** Creates the bundled demo project, or returns it when it already exists. */
export function createDemoProject(): Promise<Project> {
  return call<Project>("create_demo_project");
}
