import { screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { renderWithClient } from "../../test/render";
import { DiskUse, humanBytes } from "./DiskUse";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

beforeEach(() => {
  invokeMock.mockReset();
});

describe("DiskUse", () => {
  it("says what the worktrees, the gate and the logs take, as the command line does", async () => {
    invokeMock.mockImplementation((command: string, args: { projectId: string }) =>
      command === "disk_usage" && args.projectId === "p1"
        ? Promise.resolve({ worktrees: 1, free_slots: 0, worktree_bytes: 3 * 1024 ** 3, gate_bytes: 1536, log_bytes: 812, cache_bytes: 0 })
        : Promise.reject({ code: "not_found", message: command }),
    );
    renderWithClient(<DiskUse projectId="p1" />);
    expect(await screen.findByTestId("disk-use")).toHaveTextContent(
      "On disk: 1 task worktree 3.0 GiB, the merge gate 1.5 KiB, logs 812 B.",
    );
  });

  it("counts the free slots kept for reuse apart from the task worktrees", async () => {
    invokeMock.mockResolvedValue({ worktrees: 0, free_slots: 2, worktree_bytes: 812 * 1024 ** 2, gate_bytes: 0, log_bytes: 0, cache_bytes: 5 * 1024 ** 3 });
    renderWithClient(<DiskUse projectId="p1" />);
    expect(await screen.findByTestId("disk-use")).toHaveTextContent(
      "On disk: 0 task worktrees and 2 free slots kept for reuse 812 MiB, the merge gate 0 B, logs 0 B, the sandbox's package caches 5.0 GiB.",
    );
  });

  it("shows nothing when the core cannot say", async () => {
    invokeMock.mockRejectedValue({ code: "io", message: "cannot read" });
    const { container } = renderWithClient(<DiskUse projectId="p1" />);
    await vi.waitFor(() => expect(invokeMock).toHaveBeenCalled());
    expect(container).toBeEmptyDOMElement();
  });

  it("formats sizes like yokeflow status", () => {
    expect(humanBytes(1536)).toBe("1.5 KiB");
    expect(humanBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
    expect(humanBytes(20 * 1024 ** 2)).toBe("20 MiB");
    expect(humanBytes(0)).toBe("0 B");
  });
});
